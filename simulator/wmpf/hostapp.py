"""The device maker's host app: the one that uses ``wmpf-cli`` to receive calls.

Modelled on the official demo (``VoipActivity.kt``) and the call-wmpf guide: at start it wakes and
activates WMPF, fetches the pushToken, registers its push listener (v2 or legacy, per profile; late as a
fault) and a lifecycle listener; on a push it validates the message like the demo and either shows its own
incoming-call screen or launches the call page at once; it restarts and re-activates WMPF after
``onWMPFFinish`` when its lifecycle listener is on; and a debug broadcast receiver feeds the same handler,
the injection path a real debug build offers (``am broadcast -a ACTION --es msg JSON``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from simulator.android import components
from simulator.android.intent import Intent
from simulator.wmpf.host_ui import incoming_window, main_window
from simulator.wmpf.pushmsg import BadPush, PushMsg, parse_push, preview
from simulator.wmpf.recorder import Line
from simulator.wmpf.scheduler import Scheduler
from simulator.wmpf.service import BridgeNotFound

if TYPE_CHECKING:
    from simulator.android.field import FieldProfile
    from simulator.android.system import AndroidSystem
    from simulator.processes import Process
    from simulator.wmpf.config import HostAppConfig
    from simulator.wmpf.faults import Faults
    from simulator.wmpf.pushtoken import PushToken
    from simulator.wmpf.recorder import Recorder
    from simulator.wmpf.service import PushHandler
    from simulator.wmpf.timing import Timing

TAG = "WMPF-API"
ACTIVATION_RETRY_MS = 5000


class WmpfClient(Protocol):
    """The ``wmpf-cli`` calls the host app makes, and the listener state it reads back (WMPF's side)."""

    @property
    def running(self) -> bool: ...

    @property
    def activated(self) -> bool: ...

    @property
    def pid(self) -> int | None: ...

    v2_listener: PushHandler | None
    legacy_callback: PushHandler | None

    def wakeup_if_needed(self, then: Callable[[], None]) -> None: ...

    def activate(self, then: Callable[[bool], None]) -> None: ...

    def get_push_token(self) -> PushToken: ...

    def bind_v2_listener(self, handler: PushHandler) -> None: ...

    def set_push_msg_callback(self, handler: PushHandler) -> None: ...

    def launch_mini_program(self, appid: str, path: str, app_type: int) -> None: ...

    def warm_up_app(self, appid: str, path: str) -> None: ...

    def close_wxa_app(self, appid: str, keep_running: bool) -> None: ...

    def prefetch_device_token(self) -> None: ...


class CallPageLink(Protocol):
    """What the host app asks of the Mini Program's call page before it hands a call over."""

    prelaunch_path: str

    @property
    def in_call(self) -> bool: ...

    def busy(self, room_id: str | None) -> None: ...

    def reject_when_shown(self, room_id: str | None) -> None: ...


@dataclass
class IncomingCall:
    push: PushMsg
    room_id: str | None
    caller: str
    room_type: str


class HostApp:
    label = "WMPF Host"

    service: WmpfClient
    miniprogram: CallPageLink
    field: FieldProfile | None = None  # the device's [field] table: whether the ring shows over the lock screen

    def __init__(self, *, serial: str, android: AndroidSystem, recorder: Recorder, timing: Timing, faults: Faults,
                 config: HostAppConfig, miniprogram_appid: str, device_up: Callable[[], bool]) -> None:
        self.android = android
        self.recorder = recorder
        self.timing = timing
        self.faults = faults
        self.cfg = config
        self.miniprogram_appid = miniprogram_appid  # the maker's Mini Program it warms up and closes
        self.device_up = device_up
        self.package = self.cfg.package
        self.activities = (self.cfg.main_activity, self.cfg.incoming_activity)
        self.tag = self.cfg.log_tag  # the app's own log tag (the demo's "WMPF-API")
        self.proc: Process | None = None
        self.v2_registered = False  # the client library's registration: survives WMPF restarts
        self.legacy_registered = False
        self.lifecycle_registered = False
        self.incoming: IncomingCall | None = None
        self.scheduler = Scheduler(f"host {serial}")
        self._ring_timer = None
        self.main = main_window(self.package, self._status, self.cfg.main_activity)

    def connect(self, service: WmpfClient, miniprogram: CallPageLink) -> None:
        """Its peers, built after it because they report back to it (WMPF's lifecycle, the page's end)."""
        self.service = service
        self.miniprogram = miniprogram

    # -- logging helpers (everything the host app and its wmpf-cli log comes from its process) -------
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive

    def line(self, priority: str, tag: str, message: str) -> Line:
        return Line(priority, tag, message, self.proc)

    def log(self, priority: str, tag: str, message: str) -> None:
        if self.alive:
            self.recorder.log(priority, tag, message, self.proc)

    def _status(self) -> str:
        svc = self.service
        if not svc.running:
            return "WMPF not running"
        if not svc.activated:
            return "Activating WMPF..."
        return "Ready for calls" if (svc.v2_listener or svc.legacy_callback) else "Activated; not listening"

    # -- AndroidSystem hooks --------------------------------------------------------------------------
    def on_process_start(self, proc: Process) -> None:
        if proc.name != self.package:
            return
        self.proc = proc
        self.v2_registered = self.legacy_registered = self.lifecycle_registered = False
        self.log("I", "WMPFCli", f"WMPF.init: client 2.2.0, host {self.package}")
        self.android.register_receiver(self.package, self.cfg.debug_action, self.on_debug_broadcast)
        self.scheduler.later(self.timing.delay("host_start_ms"), self._init_wmpf)

    def on_process_death(self, proc: Process, status: int) -> None:
        if proc is not self.proc:
            return
        self.proc = None
        self.scheduler.cancel_all()
        self.incoming = None
        self.v2_registered = self.legacy_registered = self.lifecycle_registered = False
        svc = self.service
        svc.v2_listener = None
        svc.legacy_callback = None  # the binder to this process is dead

    def on_trim_memory(self, level: int) -> None:
        """``am send-trim-memory``: recorded in the ground truth (the host app frees nothing)."""
        if self.alive:
            self.recorder.event("trim_memory", None, self.line("I", TAG, f"onTrimMemory: level={level}"),
                                package=self.package, level=level)

    def on_activity_start(self, intent: Intent) -> None:
        screen = self.android.screen
        component = intent.component or ""
        if component == components.make(self.package, self.cfg.incoming_activity) and self.incoming is not None:
            call = self.incoming
            screen.show(incoming_window(self.package, call.caller, call.room_type, self.answer, self.decline,
                                        self.cfg.incoming_activity))
        else:
            screen.show(self.main)

    def on_new_intent(self, intent: Intent) -> None:
        self.on_activity_start(intent)

    # -- start-up: wake, activate, token, listeners ----------------------------------------------------
    def _init_wmpf(self) -> None:
        if self.cfg.lifecycle_listener:
            self.lifecycle_registered = True
            self.log("I", "WMPFCli.Lifecycle", "addWMPFLifecycleListener: success")
        self.service.wakeup_if_needed(self._activate)

    def _activate(self) -> None:
        if not self.alive:
            return
        try:
            self.service.activate(self._activated)
        except BridgeNotFound as exc:
            self.log("E", "WMPFCli", f"activateDevice failed: {exc}")

    def _activated(self, ok: bool) -> None:
        if not self.alive:
            return
        if not ok:
            self.log("W", self.tag, "activateDevice 失败, retry later")
            self.scheduler.later(self.timing.scaled(ACTIVATION_RETRY_MS / 1000), self._retry_activation)
            return
        self.log("I", self.tag, "activateDevice 成功")
        token = self.service.get_push_token()
        self.log("I", self.tag, f"getPushToken 成功: {token.redacted}")
        late = self.faults.listener_late_ms
        if late > 0 and not (self.v2_registered or self.legacy_registered):
            self.scheduler.later(self.timing.scaled(late / 1000), self._register_listener)
        else:
            self._register_listener()
        if self.cfg.warm_up:
            self._call_wmpf(lambda: self.service.warm_up_app(self.miniprogram_appid,
                                                             self.miniprogram.prelaunch_path))

    def _retry_activation(self) -> None:
        self.service.wakeup_if_needed(self._activate)

    def _register_listener(self) -> None:
        if not self.alive or not self.service.running:
            return
        svc = self.service
        if self.cfg.push_listener == "v2":
            if self.v2_registered:
                return  # the client library re-binds it on every WMPF start (on_wmpf_ready)
            svc.bind_v2_listener(self.on_push)
            self.v2_registered = True
            api = "registerPushMsgEventListener"
        else:
            if svc.legacy_callback is not None:
                return
            if self.legacy_registered and not (self.cfg.reregister_legacy_on_restart and self.lifecycle_on):
                return  # the classic bug: registered once at start, lost with the first WMPF restart
            svc.set_push_msg_callback(self.on_push)
            self.legacy_registered = True
            api = "setPushMsgCallback"
        self.recorder.event("listener_registered", None,
                            self.line("I", "WMPFCli.Device", f"{api}: success"),
                            self.line("I", self.tag, self.cfg.listener_log.format(api=api)), api=api)

    # -- WMPF lifecycle ---------------------------------------------------------------------------------
    @property
    def lifecycle_on(self) -> bool:
        return self.lifecycle_registered and not self.faults.lifecycle_listener_off

    def on_wmpf_finish(self) -> None:
        """WMPF's process died (called by the service model)."""
        if not self.alive or not self.lifecycle_on:
            return
        self.recorder.event("wmpf_finish_seen", None, self.line("I", "WMPFCli.Lifecycle", "onWMPFFinish"))
        self.scheduler.later(self.timing.delay("wmpf_relaunch_delay_ms"), self._relaunch_wmpf)

    def _relaunch_wmpf(self) -> None:
        if self.alive and self.device_up():
            self.log("I", self.tag, "WMPF exited, restarting and re-activating it")
            self.service.wakeup_if_needed(self._activate)

    def on_wmpf_ready(self, restart: bool) -> None:
        """WMPF came up; the client library re-binds a v2 listener by itself (the demo's comment)."""
        if not self.alive:
            return
        if restart and self.lifecycle_on:
            self.log("I", "WMPFCli.Lifecycle", "onWMPFRestart")
        if self.cfg.wmpf_ready_log:
            self.log("I", self.tag, self.cfg.wmpf_ready_log.format(pid=self.service.pid or 0,
                                                                  restart=str(restart).lower()))
        if self.v2_registered and self.service.v2_listener is None:
            self.service.bind_v2_listener(self.on_push)
            api = "registerPushMsgEventListener"
            self.recorder.event("listener_registered", None,
                                self.line("I", "WMPFCli.Device", f"{api}: rebind after WMPF restart"),
                                *([self.line("I", self.tag, self.cfg.listener_log.format(api=api))]
                                  if self.cfg.relog_listener_on_rebind else []), api=api, rebind=True)

    # -- pushes -------------------------------------------------------------------------------------------
    def on_push(self, message: str) -> None:
        """The push listener (v2 ``onInvoke`` or legacy callback)."""
        self._handle(message, "wmpf")

    def on_debug_broadcast(self, intent: Intent) -> None:
        msg = intent.extras.get("msg")
        self.log("I", "DebugPushReceiver", f"onReceive: action={intent.action}")
        self._handle(msg if isinstance(msg, str) else "", "debug")

    def _handle(self, message: str, source: str) -> None:
        rec = self.recorder
        try:
            push = parse_push(message)
        except BadPush as exc:
            rec.event("push_received", None, self.line("I", self.tag, f"收到推送消息, size={len(message)}"),
                      source=source, valid=False)
            rec.event("push_ignored", None,
                      self.line("W", self.tag, f"invalid push msg ignored: {exc}; msg={preview(message)}"),
                      reason=str(exc), source=source)
            return
        room_id = push.room_id
        q = push.query
        rec.event("push_received", room_id,
                  self.line("I", self.tag, self.cfg.push_log.format(msg=preview(message, 300), room=room_id or "")),
                  source=source, valid=True)
        if self.cfg.prefetch_device_token:
            self._call_wmpf(self.service.prefetch_device_token)
        call = IncomingCall(push, room_id, q.get("callerName", ""), q.get("roomType", "video"))
        if self.incoming is not None:
            if self.incoming.room_id == room_id:
                self.log("I", self.tag, f"duplicate push for the ringing call {room_id} ignored")
            else:
                self.miniprogram.busy(room_id)  # already ringing for another call
            return
        if self.miniprogram.in_call or self.cfg.incoming_ui == "direct":
            # the plugin decides (busy, duplicate) — the host app just hands the call over
            self.log("I", self.tag, "收到来电，正在打开小程序")
            self._launch(push.path, push)
            return
        self.incoming = call
        self.scheduler.later(self.timing.delay("ring_show_ms"), self._show_incoming)

    def _show_incoming(self) -> None:
        call = self.incoming
        if call is None or not self.alive:
            return
        android = self.android
        woken = False
        if self.cfg.wake_screen and not android.screen.on:
            android.set_screen_power(True, reason="incoming_call")
            woken = True
        android.launch(Intent(component=components.make(self.package, self.cfg.incoming_activity)),
                       caller_uid=self.proc.uid if self.proc else 1000)
        locked = android.keyguard.locked
        over_lock = self.field.show_when_locked if self.field is not None else True
        # the ring is shown only when the incoming UI is on screen: not with the screen off, nor under the lock
        if not android.screen.on or (locked and not over_lock):
            self.recorder.event("ring_hidden", call.room_id,
                                reason="screen off" if not android.screen.on else "behind the lock screen")
        else:
            self.recorder.event("ring_shown", call.room_id,
                                self.line("I", self.cfg.incoming_tag,
                                          self.cfg.ring_log.format(caller=call.caller, room=call.room_id or "")),
                                ui="host", screen_woken=woken or None, over_keyguard=locked or None)
        self._ring_timer = self.scheduler.later(self.timing.timer("host_ring_timeout_s"), self._ring_timeout)
        if self.cfg.auto_answer:  # a kiosk answers its own notification: the same path as a tap on Answer
            self.scheduler.later(self.timing.scaled(self.cfg.auto_answer_ms / 1000), self._auto_answer)

    def _auto_answer(self) -> None:
        call = self.incoming
        if call is None or not self.alive:
            return
        self.log("I", self.tag, self.cfg.auto_answer_log.format(room=call.room_id or "", caller=call.caller))
        self.answer(ui="auto")

    def _close_incoming(self) -> IncomingCall | None:
        call, self.incoming = self.incoming, None
        self.scheduler.cancel(self._ring_timer)
        self.android.screen.remove(activity=components.make(self.package, self.cfg.incoming_activity))
        return call

    def _ring_timeout(self) -> None:
        call = self._close_incoming()
        if call is not None:
            self.recorder.event("ring_dismissed", call.room_id,
                                self.line("I", self.cfg.incoming_tag, "incoming call not answered, dismissed"))

    def answer(self, ui: str = "host") -> None:
        """Answer on the app's own incoming screen: the call page opens with isClickedHangOnBtn=1
        (call-wmpf.html §2.3), so the plugin answers without a second tap."""
        call = self._close_incoming()
        if call is None:
            return
        self.android.keyguard.set(False)  # an answered call dismisses a non-secure lock screen
        self.recorder.event("answer_tapped", call.room_id,
                            self.line("I", self.cfg.incoming_tag,
                                      self.cfg.answer_log.format(room=call.room_id or "", caller=call.caller)),
                            ui=ui)
        self.log("I", self.tag, "收到来电，正在打开小程序")
        self._launch(call.push.path + "&isClickedHangOnBtn=1", call.push)

    def decline(self) -> None:
        call = self._close_incoming()
        if call is None:
            return
        self.recorder.event("decline_tapped", call.room_id,
                            self.line("I", self.cfg.incoming_tag, "decline clicked"), ui="host")
        if self.cfg.decline == "reject":
            # forceHangUpVoip(roomId) needs the plugin: open it and hang up as soon as the page is up
            self._launch(call.push.path, call.push, reject=True)

    def _launch(self, path: str, push: PushMsg, *, reject: bool = False) -> None:
        def go() -> None:
            self.service.launch_mini_program(push.appid, path, push.app_type)
            if reject:
                self.miniprogram.reject_when_shown(push.room_id)

        self._call_wmpf(go)

    def _call_wmpf(self, fn) -> None:  # type: ignore[no-untyped-def]
        try:
            fn()
        except BridgeNotFound as exc:
            self.log("E", "WMPFCli", f"{exc} (onBridgeNotFound)")

    def on_voip_event(self, name: str, room_id: str | None, host_mono_ns: int) -> None:
        """The Mini Program forwarded an onVoipEvent over the Invoke Channel; the app logs it if it does."""
        if self.cfg.voip_event_log and self.alive:
            self.recorder.log("I", self.tag, self.cfg.voip_event_log.format(name=name, room=room_id or ""),
                              self.proc, host_mono_ns=host_mono_ns)

    def close_mini_program(self, keep_running: bool) -> None:
        """The Invoke Channel told us the call ended: send the Mini Program away (end mode "background")."""
        self._call_wmpf(lambda: self.service.close_wxa_app(self.miniprogram_appid, keep_running))
