"""WMPF itself: the ``com.tencent.wmpf`` service process the host app talks to through ``wmpf-cli``.

What the harness must be able to observe and break: a real pid that changes on restart; activation that is
lost with the process; a pushToken with an expiry; the push listener registry with its two generations
(v2 ``registerPushMsgEventListener`` is re-bound by the client library whenever WMPF comes back, the legacy
``setPushMsgCallback`` lives inside WMPF and dies with it); lifecycle events to the host app; and the Mini
Program runtime it hosts. Client-library calls are logged in the *host app's* process under the
``WMPFCli.*`` tags, service-side events in WMPF's own process under ``WMPF.Service`` (facts doc §3.2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from simulator.wmpf.config import WMPF_PACKAGE
from simulator.wmpf.pushmsg import APP_TYPE_NAMES, preview
from simulator.wmpf.pushtoken import PushToken
from simulator.wmpf.recorder import Line
from simulator.wmpf.scheduler import Scheduler

if TYPE_CHECKING:
    from simulator.android.system import AndroidSystem
    from simulator.clock import DeviceClock
    from simulator.processes import Process, ProcessTable
    from simulator.profile import PackageSpec
    from simulator.wmpf.config import WmpfConfig
    from simulator.wmpf.faults import Faults
    from simulator.wmpf.recorder import Recorder
    from simulator.wmpf.timing import Timing

TAG = "WMPF.Service"
PushHandler = Callable[[str], None]


class HostLink(Protocol):
    """What WMPF needs from the host app: its lifecycle listener, and its process to log wmpf-cli calls in."""

    def on_wmpf_ready(self, restart: bool) -> None: ...

    def on_wmpf_finish(self) -> None: ...

    def log(self, priority: str, tag: str, message: str) -> None: ...

    def line(self, priority: str, tag: str, message: str) -> Line: ...


class AppBrand(Protocol):
    """What WMPF needs from the Mini Program runtime it hosts: its process, launches and death."""

    @property
    def proc(self) -> Process | None: ...

    def launch(self, appid: str, path: str, app_type: int) -> None: ...

    def prelaunch(self, appid: str, path: str) -> None: ...

    def close(self, keep_running: bool) -> None: ...

    def on_process_death(self, proc: Process) -> None: ...

    def on_wmpf_death(self) -> None: ...


class BridgeNotFound(RuntimeError):
    """A wmpf-cli call while WMPF is not running (the SDK's ``onBridgeNotFound``)."""


class WmpfService:
    def __init__(self, *, serial: str, android: AndroidSystem, processes: ProcessTable, clock: DeviceClock,
                 recorder: Recorder, timing: Timing, faults: Faults, config: WmpfConfig, version: PackageSpec | None,
                 device_up: Callable[[], bool], host: HostLink, miniprogram: AppBrand) -> None:
        self.serial = serial
        self.android = android
        self.processes = processes
        self.clock = clock
        self.recorder = recorder
        self.timing = timing
        self.faults = faults
        self.config = config
        self.version = version  # the installed com.tencent.wmpf package, logged at each start
        self.device_up = device_up
        self.host = host
        self.miniprogram = miniprogram
        self.proc: Process | None = None
        self.ready = False
        self.activated = False
        self.registered_at_backend = False  # the backend's record of an activation; survives restarts
        self.push_token: PushToken | None = None
        self.legacy_callback: PushHandler | None = None
        self.v2_listener: PushHandler | None = None  # bound in this WMPF instance
        self.starts = 0
        self.scheduler = Scheduler(f"wmpf {serial}")
        self._ready_waiters: list[Callable[[], None]] = []

    # -- process lifecycle (AndroidSystem app hooks) ---------------------------------------------------
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.alive and self.ready

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def on_process_start(self, proc: Process) -> None:
        if proc.name != WMPF_PACKAGE:
            return
        self.proc = proc
        self.ready = False
        self.starts += 1
        version = self.version
        vname = f"{version.version_name} ({version.version_code})" if version else "?"
        self.recorder.log("I", TAG, f"WMPFService onCreate: version {vname}, pid={proc.pid}", proc)
        self.scheduler.later(self.timing.delay("wmpf_start_ms"), self._became_ready)

    def _became_ready(self) -> None:
        proc = self.proc
        if proc is None or not proc.alive:
            return
        self.ready = True
        restart = self.starts > 1
        self.recorder.event(
            "wmpf_started", None,
            Line("I", TAG, f"WMPF service ready (pid={proc.pid}, start #{self.starts})", proc),
            pid=proc.pid, restart=restart,
        )
        waiters, self._ready_waiters = self._ready_waiters, []
        for waiter in waiters:
            waiter()
        self.host.on_wmpf_ready(restart)

    def on_process_death(self, proc: Process, status: int) -> None:
        if proc is self.miniprogram.proc:
            self.miniprogram.on_process_death(proc)
            return
        if proc is not self.proc:
            return
        self.proc = None
        self.ready = False
        self.activated = False
        self.legacy_callback = None  # setPushMsgCallback lives in WMPF: lost with it
        self.v2_listener = None  # the client library re-binds it when WMPF is back
        self._ready_waiters.clear()
        self.scheduler.cancel_all()
        self.recorder.event("wmpf_killed", None, pid=proc.pid, status=status)
        self.miniprogram.on_wmpf_death()
        if self.device_up():
            self.host.on_wmpf_finish()

    def on_trim_memory(self, level: int) -> None:
        """``am send-trim-memory``: WMPF's ComponentCallbacks2.onTrimMemory (recorded; nothing is freed)."""
        if self.proc is not None:
            self.recorder.event("trim_memory", None, Line("I", TAG, f"onTrimMemory: level={level}", self.proc),
                                package=WMPF_PACKAGE, level=level)

    def reset(self) -> None:
        """The device rebooted: the process is gone without exit callbacks."""
        self.scheduler.cancel_all()
        self.proc = None
        self.ready = False
        self.activated = False
        self.legacy_callback = None
        self.v2_listener = None
        self._ready_waiters.clear()

    # -- wmpf-cli API (called by the host app, logged in its process) ----------------------------------
    def _need(self) -> Process:
        if not self.running or self.proc is None:
            raise BridgeNotFound("bridge not found: WMPF is not running")
        return self.proc

    def wakeup_if_needed(self, then: Callable[[], None]) -> None:
        """``wakeupWMPFIfNeed``: start WMPF if it is not running; ``then`` runs once it is ready."""
        if self.running:
            then()
            return
        self._ready_waiters.append(then)
        if self.proc is None or not self.proc.alive:
            self.host.log("I", "WMPFCli.Device", "wakeupWMPFIfNeed: start wakeup WMPF")
            self.android.start_process(WMPF_PACKAGE)

    def activate(self, then: Callable[[bool], None]) -> None:
        """``activateDevice``: succeeds after ``activation_ms`` unless the device is offline."""
        self._need()

        def done() -> None:
            if not self.running:
                then(False)
                return
            if self.faults.network_down:
                self.host.log("E", "WMPFCli.Device",
                              f"activate device({self.serial}) failed, please check your device info."
                              " reason=(10013,request timeout)")
                then(False)
                return
            self.activated = True
            self.registered_at_backend = True
            token = f"{self.timing.rng.getrandbits(64):016x}"
            self.recorder.event(
                "wmpf_activated", None,
                self.host.line("I", "WMPFCli.Device",
                               f"activateDevice: activate device success. invoke token={token[:8]}..."),
            )
            then(True)

        self.scheduler.later(self.timing.delay("activation_ms"), done)

    def get_push_token(self) -> PushToken:
        """``getPushToken``: the current token, or a new one when there is none or it expired."""
        self._need()
        token = self.push_token
        if token is None or token.expired:
            token = PushToken.issue(self.timing.rng, self.timing.scaled(self.config.push_token_ttl_s),
                                    self.clock.wall_ns())
            self.push_token = token
        self.host.log("I", "WMPFCli.Device",
                      f"getPushToken: pushToken={token.redacted} expireTimestamp={token.expire_timestamp}")
        return token

    def bind_v2_listener(self, handler: PushHandler) -> None:
        self._need()
        self.v2_listener = handler

    def set_push_msg_callback(self, handler: PushHandler) -> None:
        self._need()
        self.legacy_callback = handler

    def launch_mini_program(self, appid: str, path: str, app_type: int) -> None:
        self._need()
        self.host.log("I", "WMPFCli.MP", f"launchMiniProgram: appId={appid}, path={preview(path, 200)}, "
                                         f"appType={APP_TYPE_NAMES[app_type]}")
        self.miniprogram.launch(appid, path, app_type)

    def warm_up_app(self, appid: str, path: str) -> None:
        self._need()
        self.host.log("I", "WMPFCli.MP", f"warmUpApp: appId={appid}, path={path}")
        self.miniprogram.prelaunch(appid, path)

    def close_wxa_app(self, appid: str, keep_running: bool) -> None:
        self._need()
        self.host.log("I", "WMPFCli.MP", f"closeWxaApp: appId={appid}, keepRunning={str(keep_running).lower()}")
        self.miniprogram.close(keep_running)

    def prefetch_device_token(self) -> None:
        self._need()
        self.host.log("I", "WMPFCli.MPDevice", "prefetchDeviceToken: success, errMsg=null")

    # -- push delivery (called by the backend after the delivery latency) ------------------------------
    def deliver_push(self, message: str, room_id: str | None) -> None:
        rec = self.recorder
        proc = self.proc
        if not self.device_up():
            rec.event("push_dropped", room_id, reason="device is not up")
            return
        if proc is None or not proc.alive or not self.ready:
            rec.event("push_dropped", room_id, reason="WMPF is not running")
            return
        if not self.activated:
            rec.event("push_dropped", room_id,
                      Line("W", TAG, "onPushMsg: device not activated, drop msg", proc),
                      reason="WMPF is not activated")
            return
        rec.event("push_delivered", room_id,
                  Line("I", TAG, f"onPushMsg: receive push msg, size={len(message)}", proc))
        if self.faults.wmpf_crash_on_push > 0:
            self.faults.wmpf_crash_on_push -= 1
            rec.event("wmpf_crashed", room_id,
                      Line("E", "AndroidRuntime", "FATAL EXCEPTION: WMPF.PushMsgThread", proc),
                      Line("E", "AndroidRuntime", f"Process: {WMPF_PACKAGE}, PID: {proc.pid}", proc),
                      Line("E", "AndroidRuntime", "java.lang.IllegalStateException: simulated crash on push",
                           proc),
                      pid=proc.pid)
            rec.event("push_dropped", room_id, reason="WMPF crashed handling the push")
            self.processes.exit(proc, 134)
            return
        handler = self.v2_listener or self.legacy_callback
        if handler is None:
            rec.event("push_dropped", room_id,
                      Line("W", TAG, "onPushMsg: no push msg listener registered, drop msg", proc),
                      reason="no push listener registered")
            return
        handler(message)
