"""One simulated Android device: the userland the adb transport serves.

The device owns its clock, file system, process table, log buffer, device-local ports, shell and Android
framework model. Everything runs on the simulator's single event loop; code on other threads (tests, the
control interface) must go through :meth:`SimDevice.call_soon`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from typing import Protocol

from simulator.adbd import AdbdState
from simulator.android.procfs import mount_kernel_fs
from simulator.android.properties import build_properties, forget_volatile
from simulator.android.system import AndroidSystem
from simulator.clock import DeviceClock
from simulator.fs import FileSystem
from simulator.hardware_timing import adbd_restart_s, boot_duration_s, shutdown_duration_s
from simulator.local_services import LocalServices
from simulator.logbuffer import LogBuffer
from simulator.processes import ProcessTable
from simulator.profile import DeviceProfile
from simulator.shell.interpreter import Shell

log = logging.getLogger(__name__)

# System processes every Android device shows in ``ps`` (name, uid).
SYSTEM_PROCESSES = (
    ("init", 0), ("ueventd", 0), ("logd", 1036), ("servicemanager", 1000), ("surfaceflinger", 1000),
    ("zygote64", 0), ("system_server", 1000), ("adbd", 2000), ("com.android.systemui", 10020),
)


class DeviceState(enum.Enum):
    ONLINE = "device"
    SHUTTING_DOWN = "shutting down"  # adb reboot: existing links still work, new ones are refused
    BOOTING = "booting"
    OFF = "off"


class Link(Protocol):
    """An adb transport connection the device can cut (link drop, reboot)."""

    def abort(self) -> None: ...


TIME_SCALE_PROP = "ro.wmpf_hil.time_scale"


class SimDevice:
    def __init__(self, profile: DeviceProfile, index: int = 0, *, time_scale: float = 1.0) -> None:
        self.profile = profile
        self.index = index
        self.serialno = profile.serial_for(index)
        self.time_scale = time_scale
        self.props: dict[str, str] = build_properties(profile, self.serialno)
        # The simulator declares itself, as the emulator does with ro.kernel.qemu: a lab tool that meets this device
        # through adb labels its figures simulated, at this time scale (a real device has no such property).
        self.props[TIME_SCALE_PROP] = f"{time_scale:g}"
        self.build_props = dict(self.props)  # the build's values, for resetting setprop changes at reboot
        self.props_set_at_runtime: set[str] = set()
        self.clock = DeviceClock(offset_s=profile.clock_offset_s, drift_ppm=profile.clock_drift_ppm)
        self.fs = FileSystem()
        self.processes = ProcessTable(self.clock.uptime_ns)
        self.logcat = LogBuffer(self.clock)
        self.services = LocalServices()
        self.shell = Shell(self)
        self.android = AndroidSystem(self)
        mount_kernel_fs(self)  # /proc and /sys, generated from the device on every read
        if self.props.get("ro.debuggable") != "1":
            self.fs.remove("/system/bin/su")  # user builds ship without su
        self.state = DeviceState.OFF
        self.links: set[Link] = set()
        self.link_blocked = False  # a fault: the device's network link is down
        self.adbd = AdbdState()  # root/unroot, remount, reverse forwards (simulator.adbd)
        self.on_boot: list[Callable[[SimDevice], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._boot_task: asyncio.Task[None] | None = None
        self._rebooting = False

    # -- identity ---------------------------------------------------------------------------------
    @property
    def model(self) -> str:
        return self.props["ro.product.model"]

    def banner(self, features: list[str]) -> bytes:
        """The CNXN payload: ``device::ro.product.name=..;ro.product.model=..;ro.product.device=..;features=..``."""
        fields = [f"{key}={self.props.get(key, '')}"
                  for key in ("ro.product.name", "ro.product.model", "ro.product.device")]
        fields.append("features=" + ",".join(features))
        return ("device::" + ";".join(fields)).encode()

    @property
    def online(self) -> bool:
        return self.state is DeviceState.ONLINE and not self.link_blocked and not self.adbd.restarting

    @property
    def shell_uid(self) -> int:
        """The uid adbd runs commands as: 0 after ``adb root``, 2000 (shell) otherwise."""
        return 0 if self.adbd.root else 2000

    # -- lifecycle --------------------------------------------------------------------------------
    def boot(self) -> None:
        """Bring the userland up: system processes, persistent apps, boot log lines."""
        self._loop = asyncio.get_running_loop()
        self.clock.mark_boot()
        self.processes.reset()
        self.logcat.clear()
        self.services.clear()
        self.props["sys.boot_completed"] = "1"
        self.adbd.reset()  # service.adb.root and remounts do not survive a reboot
        forget_volatile(self.props, self.props_set_at_runtime, self.build_props)
        self.fs.system_writable = False
        self.props["service.adb.root"] = "0"
        for name, uid in SYSTEM_PROCESSES:
            proc = self.processes.spawn(name, uid, ppid=0 if name == "init" else 1)
            if name == "system_server":
                self.logcat.log("I", "SystemServer", "Entered the Android system server!", pid=proc.pid)
        self.state = DeviceState.ONLINE
        self.android.boot()
        adbd = self.processes.by_name("adbd")[0]
        self.logcat.log("I", "adbd", f"adbd started on {self.model} ({self.serialno})", pid=adbd.pid, uid=2000)
        for hook in list(self.on_boot):
            hook(self)

    def drop_links(self) -> None:
        """Cut every adb connection to this device (the host sees it go offline)."""
        for link in list(self.links):
            link.abort()
        self.links.clear()

    def reboot(self, reason: str = "") -> None:
        """``adb reboot``: the framework shuts down for the profile's ``shutdown_s``, then the link drops
        and the device accepts adb again after its ``boot_time_s`` (both times the time scale)."""
        if self.state is not DeviceState.ONLINE or self._rebooting:
            return
        self._rebooting = True
        self.state = DeviceState.SHUTTING_DOWN
        self.props["sys.shutdown.requested"] = "1" + (reason or "reboot")
        system_pid = next((p.pid for p in self.processes.by_name("system_server")), 0)
        self.logcat.log("I", "ShutdownThread", f"Rebooting, reason: {reason or 'null'}", pid=system_pid,
                        uid=1000, buffer="system")
        loop = asyncio.get_running_loop()
        delay = max(0.05, shutdown_duration_s(self.profile) * self.time_scale)  # the reply reaches the host first
        self._boot_task = loop.create_task(self._power_cycle(delay))

    async def _power_cycle(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.state = DeviceState.BOOTING
        self.props["sys.boot_completed"] = ""
        self.logcat.close_subscribers()
        self.android.shutdown()
        self.drop_links()
        self.services.clear()
        self.adbd.reverse.clear()
        await asyncio.sleep(boot_duration_s(self.profile) * self.time_scale)
        self._rebooting = False
        self.props.pop("sys.shutdown.requested", None)
        self.boot()

    def restart_adbd(self, *, root: bool) -> None:
        """``adb root``/``adb unroot``: adbd exits (every link drops) and comes back as uid 0 or 2000."""
        if self.adbd.restarting:
            return
        self.adbd.restarting = True
        self.props["service.adb.root"] = "1" if root else "0"
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, self.drop_links)  # let the service's reply reach the host first

        def back() -> None:
            self.adbd.root = root
            self.adbd.restarting = False
            self.adbd.reverse.clear()
            for old in self.processes.by_name("adbd"):
                self.processes.exit(old, 0)
            adbd = self.processes.spawn("adbd", 0 if root else 2000, ppid=1)
            self.logcat.log("I", "adbd", f"adbd started ({'root' if root else 'non-root'})", pid=adbd.pid,
                            uid=adbd.uid)

        loop.call_later(0.05 + adbd_restart_s(self.profile) * self.time_scale, back)

    def shutdown(self) -> None:
        self.state = DeviceState.OFF
        self.logcat.close_subscribers()
        self.android.shutdown()
        self.drop_links()
        if self._boot_task is not None:
            self._boot_task.cancel()

    # -- threading --------------------------------------------------------------------------------
    def call_soon(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the simulator's loop (safe from any thread)."""
        if self._loop is None:
            raise RuntimeError(f"device {self.serialno} has not booted")
        self._loop.call_soon_threadsafe(fn)
