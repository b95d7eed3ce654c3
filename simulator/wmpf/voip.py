"""One call as the device's plugin call page lives it: the ``onVoipEvent`` state machine.

Event names, payloads and orders are those of the facts document §1 (listener side):

* answered: ``hangOnVoip`` → ``startVoip`` (order configurable) → ``calling`` every second with
  ``keepTime`` → ``hangUpVoip`` → ``endVoip`` → ``finishVoip``;
* the device rejects: ``rejectVoip`` + ``endVoip``; the caller cancels: ``cancelVoip`` (status ``other``)
  + ``endVoip``; nobody answers in 60 s: ``timeout`` + ``endVoip``; the caller never joins within 20 s of
  the answer: ``abortVoip`` (``listener waitOtherToJoin timeout``) + ``endVoip``; packets stop:
  ``abortVoip`` (``call interrupted due to native reason``) + ``endVoip``; the room is already over when
  the page opens: ``joinFailListener`` + ``endVoip``.

Each event is one logcat line ``onVoipEvent {json}`` under ``WMPF.VoipPlugin`` in the Mini Program's
process and one ground-truth record, stamped at the same instant; ``hangOnVoip``, ``startVoip`` and
``endVoip`` also get the harness-level names ``answered``, ``connected`` and ``ended``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from simulator.wmpf.scheduler import Scheduler

if TYPE_CHECKING:
    from simulator.phone.room import Room
    from simulator.processes import Process
    from simulator.wmpf.config import CallConfig
    from simulator.wmpf.recorder import Recorder
    from simulator.wmpf.timing import Timing

TAG = "WMPF.VoipPlugin"
ALIASES = {"hangOnVoip": "answered", "startVoip": "connected", "endVoip": "ended"}
JOIN_TIMEOUT_MSG = "listener waitOtherToJoin timeout"
NATIVE_REASON_MSG = "call interrupted due to native reason"


class CallPage(Protocol):
    """The page a call runs in: the process its events are logged in, and whom to tell that it changed or ended."""

    @property
    def proc(self) -> Process | None: ...

    def page_changed(self) -> None: ...

    def forward_event(self, name: str, room_id: str | None, host_mono_ns: int) -> None: ...

    def call_ended(self, session: VoipSession) -> None: ...


class MediaPath(Protocol):
    """The device's media (:class:`simulator.media.DeviceMedia`): RTP flows while a call is connected."""

    def call_connected(self, room_id: str, room_type: str, conditions: Any) -> object: ...

    def call_ended(self) -> None: ...


def emit_voip_event(recorder: Recorder, proc: Process | None, name: str, room_id: str | None,
                    data: dict[str, Any] | None = None, *, log: bool = True,
                    forward: Callable[[str, str | None, int], None] | None = None, **truth: Any) -> None:
    """Log ``onVoipEvent`` (unless the Mini Program does not: ``log``) and record it (plus its alias) in the
    ground truth at one instant; ``forward`` hands it to the host app over the Invoke Channel."""
    event: dict[str, Any] = {"eventName": name}
    if room_id is not None:
        event["roomId"] = room_id
        event["groupId"] = room_id
    if data is not None:
        event["data"] = data
    mono = time.monotonic_ns()
    rec = recorder
    if log:
        rec.log("I", TAG, "onVoipEvent " + json.dumps(event, ensure_ascii=False, separators=(",", ":")), proc,
                host_mono_ns=mono)
    if forward is not None:
        forward(name, room_id, mono)
    rec.truth.record("onVoipEvent", room_id, host_mono_ns=mono, name=name, data=data)
    alias = ALIASES.get(name)
    if alias is not None:
        rec.truth.record(alias, room_id, host_mono_ns=mono, **truth)


class VoipSession:
    RINGING, JOINING, CONNECTED, ENDED = "ringing", "joining", "connected", "ended"

    def __init__(self, page: CallPage, room: Room, query: dict[str, str], *, recorder: Recorder, timing: Timing,
                 config: CallConfig, media: Callable[[], MediaPath], conditions: Any) -> None:
        self.page = page
        self.recorder = recorder
        self.timing = timing
        self.cfg = config
        self.media = media  # looked up when media starts: the farm attaches it after the models
        self.conditions = conditions  # the device's faults, which the relay applies to the call's RTP
        self.room = room
        self.room_id = room.room_id
        self.caller = query.get("callerName") or room.caller_name
        self.room_type = query.get("roomType") or room.room_type
        self.listener_name = room.listener_name
        self.state = self.RINGING
        self.keep_time = 0
        self.connected = False
        self.end_reason: str | None = None
        self.scheduler = Scheduler(f"voip {room.room_id}")
        self._connect_timer = None
        self._join_timer = None
        self._hanged_on = False

    @property
    def active(self) -> bool:
        return self.state != self.ENDED

    def emit(self, name: str, data: dict[str, Any] | None = None, **truth: Any) -> None:
        emit_voip_event(self.recorder, self.page.proc, name, self.room_id, data, log=self.cfg.log_events,
                        forward=self.page.forward_event, **truth)

    # -- opening ----------------------------------------------------------------------------------------
    def open(self, auto_answer: bool) -> None:
        """The page is on screen: join the room's signalling; answer at once if the host app already did."""
        if not self.room.attach(self):
            self.join_failed(f"room {self.room_id} is over ({self.room.end_reason})")
            return
        if auto_answer:
            self.answer(source="isClickedHangOnBtn")

    def join_failed(self, errmsg: str) -> None:
        self.emit("joinFailListener", {"errMsg": errmsg, "message": errmsg})
        self._end("join_failed")

    # -- listener actions (buttons, forceHangUpVoip) --------------------------------------------------------
    def answer(self, source: str = "ui") -> None:
        if self.state != self.RINGING:
            return
        self.state = self.JOINING
        self.room.listener_answered()
        if self.cfg.hangon_before_start:
            self._hang_on(source)
        if self.room.caller_joined:
            self._schedule_connect()
        else:
            self._join_timer = self.scheduler.later(self.timing.timer("join_timeout_s"), self._join_timeout)

    def _hang_on(self, source: str) -> None:
        if not self._hanged_on:
            self._hanged_on = True
            self.emit("hangOnVoip", source=source)

    def _schedule_connect(self) -> None:
        if self._connect_timer is None:
            self._connect_timer = self.scheduler.later(self.timing.delay("answer_to_connect_ms"),
                                                       self._connect)

    def _connect(self) -> None:
        if self.state != self.JOINING:
            return
        self.scheduler.cancel(self._join_timer)
        self.state = self.CONNECTED
        self.connected = True
        self.room.listener_connected()
        self.emit("startVoip")
        self._hang_on("auto")  # when startVoip is configured to come first
        self._media_connected()
        self.scheduler.later(self.timing.timer("calling_period_s"), self._tick)
        self.page.page_changed()

    def _media_connected(self) -> None:
        """Media (binding, then RTP with the relay) flows while the call is connected (simulator.media)."""
        self.media().call_connected(self.room_id, self.room_type, self.conditions)

    def _media_ended(self) -> None:
        if self.connected:
            self.media().call_ended()

    def _tick(self) -> None:
        if self.state != self.CONNECTED:
            return
        self.keep_time += 1
        self.emit("calling", {"keepTime": self.keep_time})
        self.scheduler.later(self.timing.timer("calling_period_s"), self._tick)

    def hang_up(self, origin: str = "manual") -> None:
        """The Hang up button (or ``forceHangUpVoip`` with origin ``forceFromApp``)."""
        if self.state == self.CONNECTED:
            self.emit("hangUpVoip", {"keepTime": self.keep_time, "status": "endByListener", "origin": origin})
            self.room.listener_hung_up()
            self._end("hung_up_by_listener")
        elif self.state in (self.RINGING, self.JOINING):
            self.reject(origin)

    def reject(self, status: str = "manual") -> None:
        if self.state not in (self.RINGING, self.JOINING):
            return
        self.emit("rejectVoip", {"status": status})
        self.room.listener_rejected()
        self._end("rejected")

    # -- room callbacks (the caller's side and the backend's timers) ----------------------------------------
    def on_caller_joined(self) -> None:
        if self.state == self.JOINING:
            self._schedule_connect()

    def on_caller_cancelled(self) -> None:
        if self.active:
            self.emit("cancelVoip", {"status": "other"})
            self._end("cancelled")

    def on_caller_hung_up(self) -> None:
        if self.state == self.CONNECTED:
            self.emit("hangUpVoip", {"keepTime": self.keep_time, "status": "endByCaller", "origin": "other"})
            self._end("hung_up_by_caller")
        elif self.active:
            self.on_caller_cancelled()

    def on_ring_timeout(self) -> None:
        if self.active:
            if self.cfg.listener_timeout_event:
                self.emit("timeout")
            self._end("timeout")

    def on_peer_lost(self) -> None:
        if self.active:
            self.emit("abortVoip", {"keepTime": self.keep_time, "status": self.cfg.network_loss_status,
                                    "error": {"errMsg": NATIVE_REASON_MSG}})
            self._end("network_lost")

    def _join_timeout(self) -> None:
        if self.state != self.JOINING:
            return
        self.emit("abortVoip", {"keepTime": 0, "status": "abortByListener", "error": {"errMsg": JOIN_TIMEOUT_MSG}})
        self.room.listener_aborted("join_timeout", JOIN_TIMEOUT_MSG)
        self._end("join_timeout")

    def local_network_lost(self) -> None:
        """The device's own network went down: the room notices, the page aborts after the detect delay."""
        if self.state == self.CONNECTED or self.state == self.JOINING:
            self.scheduler.later(self.timing.delay("network_loss_detect_ms"), self._local_abort)

    def _local_abort(self) -> None:
        if self.active:
            self.emit("abortVoip", {"keepTime": self.keep_time, "status": "abortByListener",
                                    "error": {"errMsg": NATIVE_REASON_MSG}})
            self.room.listener_aborted("listener_network_lost", NATIVE_REASON_MSG)
            self._end("network_lost")

    # -- ending -----------------------------------------------------------------------------------------------
    def _end(self, reason: str) -> None:
        if not self.active:
            return
        self.state = self.ENDED
        self.end_reason = reason
        self.scheduler.cancel_all()
        self._media_ended()
        self.emit("endVoip", {"keepTime": self.keep_time, "callerName": self.caller,
                              "listenerName": self.listener_name, "roomType": self.room_type, "isCaller": False,
                              "businessType": 2}, reason=reason)
        finish = self.cfg.finish_voip
        if finish == "always" or (finish == "connected" and self.connected):
            # the page's end handling listens for finishVoip (the billed time) when it will come
            self.scheduler.later(self.timing.delay("finish_voip_ms"), self._finish)
        else:
            self.page.call_ended(self)

    def _finish(self) -> None:
        self.emit("finishVoip", {"keepTime": self.keep_time})
        self.page.call_ended(self)

    def kill(self) -> None:
        """The Mini Program's process died mid-call: no more events; the caller sees the room abort."""
        was_active = self.active
        self.state = self.ENDED
        self.end_reason = self.end_reason or "killed"
        self.scheduler.cancel_all()
        self._media_ended()
        if was_active:
            self.room.listener_lost()

    def describe(self) -> dict[str, Any]:
        return {"roomId": self.room_id, "state": self.state, "keepTime": self.keep_time, "caller": self.caller,
                "roomType": self.room_type, "endReason": self.end_reason}
