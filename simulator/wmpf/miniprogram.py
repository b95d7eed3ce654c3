"""The device maker's Mini Program inside WMPF, hosting the VoIP plugin's call page.

It runs in its own WMPF process (``com.tencent.wmpf:appbrand0``). A launch is *cold* when that process
does not exist (first call, after ``exitMiniProgram``, after WMPF died) and *warm* when a warmed-up or
backgrounded instance is still alive (performance.html: ``warmUpApp``, ``closeWxaApp(keepRunning=true)``).
It owns at most one call (:class:`VoipSession`); a second call while one is active is answered ``busy``.
After a call the page follows the profile's end mode: the end page (``setVoipEndPagePath``), the
background (``closeWxaApp(keepRunning=true)`` via the host app) or ``wx.exitMiniProgram``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from simulator.android import keys
from simulator.android.system import SIGKILL_STATUS
from simulator.phone.room import Room, RoomState
from simulator.wmpf.callpage_ui import PageView, page_window
from simulator.wmpf.config import CALL_PAGE_PATH, WMPF_PACKAGE
from simulator.wmpf.pushmsg import call_query
from simulator.wmpf.recorder import Line
from simulator.wmpf.scheduler import Scheduler
from simulator.wmpf.voip import TAG as VOIP_TAG
from simulator.wmpf.voip import MediaPath, VoipSession, emit_voip_event

if TYPE_CHECKING:
    from simulator.android.system import AndroidSystem
    from simulator.processes import Process, ProcessTable
    from simulator.wmpf.config import CallConfig, WmpfConfig
    from simulator.wmpf.faults import Faults
    from simulator.wmpf.recorder import Recorder
    from simulator.wmpf.timing import Timing

TAG = "WMPF.AppBrand"
STOPPED, STARTING, BACKGROUND, FOREGROUND = "stopped", "starting", "background", "foreground"


class Cloud(Protocol):
    """What the device needs from the WeChat backend: the room a push names."""

    def room(self, room_id: str) -> Room | None: ...


class HostCloser(Protocol):
    """The host app's part in end mode "background": the Invoke Channel asks it to close the Mini Program."""

    def close_mini_program(self, keep_running: bool) -> None: ...

    def on_voip_event(self, name: str, room_id: str | None, host_mono_ns: int) -> None: ...


class MiniProgram:
    prelaunch_path = CALL_PAGE_PATH + "?isPreLaunch=1"

    def __init__(self, *, serial: str, android: AndroidSystem, processes: ProcessTable, recorder: Recorder,
                 timing: Timing, faults: Faults, config: WmpfConfig, call_config: CallConfig, wake_screen: bool,
                 media: Callable[[], MediaPath], host: HostCloser) -> None:
        self.serial = serial
        self.android = android
        self.processes = processes
        self.recorder = recorder
        self.timing = timing
        self.faults = faults
        self.config = config
        self.call_config = call_config
        self.wake_screen = wake_screen  # the host app's [host_app] wake_screen: the page turns the screen on too
        self.media = media
        self.host = host
        self.cloud: Cloud | None = None  # the phone backend, once one serves this device
        self.proc: Process | None = None
        self.state = STOPPED
        self.page = "none"  # "call" | "end" | "none"
        self.session: VoipSession | None = None
        self.scheduler = Scheduler(f"miniprogram {serial}")
        self.window = page_window(self._view, self._on_key)
        self._pending_room: str | None = None
        self._starting = False
        self._reject_rooms: set[str | None] = set()
        self.launches = {"cold": 0, "warm": 0}

    # -- state ----------------------------------------------------------------------------------------
    @property
    def warm(self) -> bool:
        return self.proc is not None and self.proc.alive and not self._starting

    @property
    def in_call(self) -> bool:
        return (self.session is not None and self.session.active) or self._pending_room is not None

    def _log(self, priority: str, message: str) -> Line:
        return Line(priority, TAG, message, self.proc)

    # -- launching ------------------------------------------------------------------------------------
    def _spawn(self) -> None:
        name = self.config.appbrand_process
        suffix = name[len(WMPF_PACKAGE):] if name.startswith(WMPF_PACKAGE) else ":" + name
        self.proc = self.android.start_process(WMPF_PACKAGE, process_name=suffix,
                                               hosting="activity {appbrand}")

    def prelaunch(self, appid: str, path: str) -> None:
        """``warmUpApp``: a cold start in the background with ``isPreLaunch=1`` (no call is started)."""
        if self.proc is not None and self.proc.alive:
            return
        self._spawn()
        self._starting = True
        self.state = STARTING
        delay = self.timing.delay("cold_start_ms", self.faults.slow_cold_start)

        def warmed() -> None:
            self._starting = False
            if self.state == STARTING:
                self.state = BACKGROUND
            self.recorder.event("miniprogram_warmed", None, self._log("I", f"warmUpApp done: appId={appid}"))

        self.scheduler.later(delay, warmed)

    def launch(self, appid: str, path: str, app_type: int) -> None:
        """``launchMiniProgram`` with a call page path (from the host app, through WMPF)."""
        q = call_query(path)
        room_id = q.get("groupId")
        if q.get("isPreLaunch") == "1":
            self.prelaunch(appid, path)
            return
        if self.session is not None and self.session.active:
            if room_id == self.session.room_id:
                self.recorder.log("I", TAG, f"launch for the current room {room_id}: bring to front", self.proc)
                self._show_window()
                if q.get("isClickedHangOnBtn") == "1":
                    self.session.answer(source="isClickedHangOnBtn")
                return
            self.busy(room_id)
            return
        if self._pending_room is not None:
            if self._pending_room != room_id:
                self.busy(room_id)
            return
        cold = not (self.proc is not None and self.proc.alive)
        if cold:
            self._spawn()
        factor = self.faults.slow_cold_start if (cold or self._starting) else 1.0
        delay = self.timing.delay("cold_start_ms" if cold else "warm_start_ms", factor)
        self._pending_room = room_id or ""
        self.state = STARTING
        self.launches["cold" if cold else "warm"] += 1
        self.recorder.event("miniprogram_launch", room_id,
                            self._log("I", f"{'cold' if cold else 'warm'} start appId={appid} "
                                           f"appType={app_type}"), cold=cold)
        self.scheduler.later(delay, lambda: self._shown(appid, q))

    def reject_when_shown(self, room_id: str | None) -> None:
        """The host app declined on its own screen: ``forceHangUpVoip(roomId)`` once the page is up."""
        self._reject_rooms.add(room_id)

    def _room_for(self, room_id: str | None, q: dict[str, str]) -> Room:
        room = self.cloud.room(room_id) if (self.cloud is not None and room_id) else None
        if room is not None:
            return room
        room = Room(room_id=room_id or "", sn=q.get("listenerId", self.serial),
                    room_type=q.get("roomType", "video"), caller_name=q.get("callerName", ""),
                    listener_name=self.config.device_name, timing=self.timing, loopback=True)
        if self.call_config.unknown_room == "loopback" and room_id:
            room.start()  # a stand-in caller that joins and behaves like a phone that never hangs up
        else:
            room.state, room.end_reason = RoomState.ENDED, "no such room at the backend"
        return room

    def _shown(self, appid: str, q: dict[str, str]) -> None:
        room_id = q.get("groupId")
        self._pending_room = None
        self._starting = False
        if self.proc is None or not self.proc.alive:
            return
        room = self._room_for(room_id, q)
        session = VoipSession(self, room, q, recorder=self.recorder, timing=self.timing, config=self.call_config,
                              media=self.media, conditions=self.faults)
        self.session = session
        self.page = "call"
        self.state = FOREGROUND
        auto = q.get("isClickedHangOnBtn") == "1"
        reject = room_id in self._reject_rooms
        self._reject_rooms.discard(room_id)
        if not reject:
            self._wake()
            self._show_window()
        emit_voip_event(self.recorder, self.proc, "callPageOnShow", None, log=self.call_config.log_events,
                        forward=self.forward_event)
        if not auto and not reject and room.active:
            self.recorder.event("ring_shown", room_id, Line("I", VOIP_TAG, f"call page ringing: {session.caller}",
                                                            self.proc), ui="callpage")
        session.open(auto_answer=auto)
        if reject:
            session.hang_up(origin="forceFromApp")

    def _wake(self) -> None:
        android = self.android
        if self.wake_screen and not android.screen.on:
            android.set_screen_power(True, reason="incoming_call")

    def _show_window(self) -> None:
        self.android.screen.show(self.window)

    def busy(self, room_id: str | None) -> None:
        current = self.session.room_id if self.session is not None else self._pending_room
        self.recorder.event(
            "busy", room_id,
            Line("W", VOIP_TAG, f"incoming call {room_id} while handling {current}: busy "
                                "(errCode 1005 already handling another call)", self.proc),
            current_room=current,
        )
        room = self.cloud.room(room_id) if (self.cloud is not None and room_id) else None
        if room is not None:
            room.listener_busy()

    # -- the page's buttons ---------------------------------------------------------------------------
    def click_answer(self) -> None:
        session = self.session
        if session is not None and session.state == VoipSession.RINGING:
            self.recorder.event("answer_tapped", session.room_id,
                                Line("I", VOIP_TAG, "answer button clicked", self.proc), ui="callpage")
            session.answer()

    def click_hang_up(self) -> None:
        session = self.session
        if session is not None and session.active:
            self.recorder.event("hangup_tapped", session.room_id,
                                Line("I", VOIP_TAG, "hang up button clicked", self.proc), ui="callpage")
            session.hang_up()

    def _on_key(self, keycode: int) -> bool:
        # BACK during a call is swallowed by the plugin page (leaving would count as a reject on old plugins)
        return keycode == keys.BACK and self.session is not None and self.session.active

    def _view(self) -> PageView:
        s = self.session
        if s is None:
            return PageView(caller="", status="")
        if self.page == "end":
            return PageView(caller=s.caller, status="Call ended", timer=_mmss(s.keep_time), end_page=True)
        kind = "video" if s.room_type == "video" else "voice"
        if s.state == VoipSession.RINGING:
            return PageView(caller=s.caller, status=f"Incoming {kind} call", answer=self.click_answer,
                            hang_up=self.click_hang_up)
        if s.state == VoipSession.JOINING:
            return PageView(caller=s.caller, status="Waiting for the other side to join the call...",
                            hang_up=self.click_hang_up)
        if s.state == VoipSession.CONNECTED:
            return PageView(caller=s.caller, status=f"In {kind} call", timer=_mmss(s.keep_time),
                            hang_up=self.click_hang_up)
        return PageView(caller=s.caller, status="Call ended", timer=_mmss(s.keep_time))

    def forward_event(self, name: str, room_id: str | None, host_mono_ns: int) -> None:
        """The page tells the host app of each event over the Invoke Channel (call-wmpf.html §3)."""
        self.host.on_voip_event(name, room_id, host_mono_ns)

    def page_changed(self) -> None:
        """Hook for a state change the screen should reflect (trees are rebuilt on every read)."""

    # -- after the call --------------------------------------------------------------------------------
    def call_ended(self, session: VoipSession) -> None:
        if session is self.session:
            self.scheduler.later(self.timing.delay("end_action_ms"), lambda: self._end_action(session))

    def _end_action(self, session: VoipSession) -> None:
        if session is not self.session or self.proc is None or not self.proc.alive:
            return
        mode = self.call_config.end_mode
        if mode == "end_page":
            self.page = "end"
            self.recorder.event("call_page_closed", session.room_id,
                                Line("I", VOIP_TAG, f"setVoipEndPagePath: navigate to "
                                                    f"{self.call_config.end_page_path}", self.proc),
                                mode=mode)
        elif mode == "background":
            self.recorder.event("call_page_closed", session.room_id,
                                Line("I", VOIP_TAG, "Invoke Channel: notify host app, call ended", self.proc),
                                mode=mode)
            self.host.close_mini_program(keep_running=True)
        else:
            self.recorder.event("call_page_closed", session.room_id,
                                Line("I", VOIP_TAG, "wx.exitMiniProgram", self.proc), mode=mode)
            self.close(keep_running=False)

    def close(self, keep_running: bool) -> None:
        """``closeWxaApp``: background the instance, or destroy it (the next launch is cold)."""
        self.android.screen.remove(window=self.window)
        self.page = "none"
        if keep_running:
            if self.state == FOREGROUND:
                self.state = BACKGROUND
        elif self.proc is not None and self.proc.alive:
            self.processes.exit(self.proc, 0)

    # -- death and faults -------------------------------------------------------------------------------
    def on_process_death(self, proc: Process) -> None:
        if proc is not self.proc:
            return
        self.proc = None
        self.state = STOPPED
        self.page = "none"
        self._pending_room = None
        self._starting = False
        self.scheduler.cancel_all()
        if self.session is not None:
            self.session.kill()
        self.android.screen.remove(window=self.window)

    def on_wmpf_death(self) -> None:
        if self.proc is not None and self.proc.alive:
            self.processes.exit(self.proc, SIGKILL_STATUS)

    def on_network_down(self) -> None:
        if self.session is not None:
            self.session.local_network_lost()

    def describe(self) -> dict[str, Any]:
        return {"state": self.state, "pid": self.proc.pid if self.proc else None, "launches": dict(self.launches),
                "call": self.session.describe() if self.session else None}


def _mmss(seconds: int) -> str:
    return f"{seconds // 60:02d}:{seconds % 60:02d}"
