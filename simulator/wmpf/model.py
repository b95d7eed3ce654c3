"""Everything WMPF-related on one simulated device, wired together and attached to its Android system.

:func:`simulator.wmpf.install` builds one :class:`WmpfDevice` per device before boot. It owns the parsed
profile tables, the timing model, the fault state, the ground-truth recorder and the three app models
(WMPF service, host app, Mini Program), and it is what the phone backend talks to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.android.system import SIGKILL_STATUS
from simulator.wmpf.config import WMPF_PACKAGE, parse_call, parse_host_app, parse_wmpf
from simulator.wmpf.faults import Faults, parse_faults
from simulator.wmpf.field import FieldModel
from simulator.wmpf.hostapp import HostApp
from simulator.wmpf.miniprogram import Cloud, MiniProgram
from simulator.wmpf.recorder import Recorder
from simulator.wmpf.service import WmpfService
from simulator.wmpf.timing import Timing, parse_timing
from simulator.wmpf.truth import DeviceTruth, TruthRecorder

if TYPE_CHECKING:
    from simulator.device import SimDevice
    from simulator.media import DeviceMedia

__all__ = ["Cloud", "WmpfDevice"]

UIA2_PROCESS_NAMES = ("app_process", "uiautomator")


class WmpfDevice:
    """The single wiring point: it builds every part and hands each model only the parts and peers it uses."""

    def __init__(self, device: SimDevice, truth: TruthRecorder | None = None) -> None:
        profile = device.profile
        self.device = device
        self.wmpf_config = parse_wmpf(profile)
        if self.wmpf_config.sn_property:  # the maker's factory wrote the SN into its own property
            device.props[self.wmpf_config.sn_property] = self.wmpf_config.sn_prefix + device.serialno
        self.host_config = parse_host_app(profile)
        self.call_config = parse_call(profile)
        self.timing = Timing(parse_timing(profile.extra.get("timing", {}), profile.source), device.time_scale,
                             device.serialno)
        self.faults: Faults = parse_faults(profile)
        self.truth = (truth.for_device(device.serialno, device.clock) if truth is not None
                      else DeviceTruth(None, device.clock))
        self.recorder = Recorder(device, self.truth)
        serial, android = device.serialno, device.android
        recorder, timing, faults = self.recorder, self.timing, self.faults
        # the host app comes first: WMPF and the Mini Program report back to it; it meets them through connect
        self.host = HostApp(serial=serial, android=android, recorder=recorder, timing=timing, faults=faults,
                            config=self.host_config, miniprogram_appid=self.wmpf_config.miniprogram_appid,
                            device_up=lambda: self.device_up)
        self.miniprogram = MiniProgram(serial=serial, android=android, processes=device.processes,
                                       recorder=recorder, timing=timing, faults=faults, config=self.wmpf_config,
                                       call_config=self.call_config, wake_screen=self.host_config.wake_screen,
                                       media=self._media, host=self.host)
        self.service = WmpfService(serial=serial, android=android, processes=device.processes, clock=device.clock,
                                   recorder=recorder, timing=timing, faults=faults, config=self.wmpf_config,
                                   version=profile.package(WMPF_PACKAGE), device_up=lambda: self.device_up,
                                   host=self.host, miniprogram=self.miniprogram)
        self.host.connect(self.service, self.miniprogram)
        # Doze, standby, network and screen conditions between the backend and WMPF (simulator.wmpf.field)
        self.field = FieldModel(device, recorder, self.host_config.package, self._wmpf_state)
        self.host.field = self.field.profile
        device.android.attach_app(WMPF_PACKAGE, self.service)
        device.android.attach_app(self.host_config.package, self.host)
        device.on_boot.append(self._on_boot)

    @property
    def cloud(self) -> Cloud | None:
        """The WeChat backend serving this device (the phone backend sets it); the Mini Program asks it for rooms."""
        return self.miniprogram.cloud

    @cloud.setter
    def cloud(self, cloud: Cloud | None) -> None:
        self.miniprogram.cloud = cloud

    def _media(self) -> DeviceMedia:
        from simulator.media import media_of  # looked up per use: the farm attaches media after the models

        return media_of(self.device)

    @property
    def sn(self) -> str:
        """The SN WMPF registers with the WeChat backend (the push's listenerId)."""
        prop = self.wmpf_config.sn_property
        return self.device.props.get(prop, self.device.serialno) if prop else self.device.serialno

    @property
    def device_up(self) -> bool:
        """Booted and not going down: only then may models schedule new work (restarts, pushes)."""
        from simulator.device import DeviceState

        return self.device.state is DeviceState.ONLINE

    def _wmpf_state(self) -> str:
        """For the push path: "ready" (running and activated: WMPF itself delivers or drops the push),
        "restarting" (starting, or dead with a host app whose lifecycle listener starts it again) or "down"."""
        svc, host = self.service, self.host
        if svc.running and svc.activated:
            return "ready"
        if (svc.proc is not None and svc.proc.alive) or (host.alive and host.lifecycle_on):
            return "restarting"
        return "down"

    @property
    def reachable(self) -> bool:
        """Whether the WeChat backend can reach this device right now (its network, not adb)."""
        return self.device_up and not self.faults.network_down

    def _on_boot(self, device: SimDevice) -> None:
        self.field.reset()
        self.recorder.event("device_booted", None, boot_completed=device.props.get("sys.boot_completed") == "1")
        if self.faults.screen_off:
            device.android.set_screen_power(False, reason="fault")

    # -- faults -------------------------------------------------------------------------------------
    def on_fault_changed(self, fault: str) -> None:
        if fault == "network_down" and self.faults.network_down:
            self.miniprogram.on_network_down()
        if fault == "screen_off":
            self.device.android.set_screen_power(not self.faults.screen_off, reason="fault")
        if fault == "media_outage_s":
            self._media().outage_now(self.faults.media_outage_s)

    def run_fault_action(self, action: str) -> None:
        device = self.device
        android = device.android
        wmpf = android.process_of(WMPF_PACKAGE)
        if action in ("kill_wmpf", "crash_wmpf"):
            if wmpf is not None:
                device.processes.exit(wmpf, SIGKILL_STATUS if action == "kill_wmpf" else 134)
        elif action == "force_stop_wmpf":
            android.force_stop(WMPF_PACKAGE)
        elif action == "crash_uia2":
            from simulator.uia2 import crash_server  # the uiautomator2 server's own fault hook

            if crash_server(device) is None:  # not on its default port: kill any app_process
                for name in UIA2_PROCESS_NAMES:
                    for proc in device.processes.by_name(name):
                        device.processes.signal(proc.pid, 9)
        elif action == "drop_adb":
            device.drop_links()
        elif action == "block_adb":
            device.link_blocked = True
            device.drop_links()
        elif action == "unblock_adb":
            device.link_blocked = False
        elif action == "reboot":
            self.recorder.event("reboot", None)
            device.reboot()
        elif action in ("screen_off", "screen_on"):
            android.set_screen_power(action == "screen_on", reason="fault")
        elif action == "expire_push_token" and self.service.push_token is not None:
            self.service.push_token.expire_now()

    # -- state for the control interface -----------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        token = self.service.push_token
        session = self.miniprogram.session
        return {
            "sn": self.sn,
            "modelId": self.wmpf_config.model_id,
            "online": self.reachable,
            "wmpf": {"pid": self.service.proc.pid if self.service.proc else None,
                     "running": self.service.running, "activated": self.service.activated,
                     "starts": self.service.starts,
                     "listener": "v2" if self.service.v2_listener else (
                         "legacy" if self.service.legacy_callback else None)},
            "pushTokenExpireTimestamp": token.expire_timestamp if token else None,
            "miniProgram": self.miniprogram.state,
            "call": session.describe() if session is not None else None,
            "faults": self.faults.describe(),
            "media": self._media_describe(),
            "field": self.field.describe(),
        }

    def _media_describe(self) -> dict[str, Any]:
        return self._media().describe()
