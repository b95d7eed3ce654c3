"""A VoIP room at the WeChat backend: the one place both sides of a call meet.

The caller (driven by the phone backend's HTTP endpoints) and the listener (the device's plugin call page)
never talk directly; each acts on the room and the room tells the other side. That keeps the backend's
60 s ring timeout, the caller's join and the caller's network loss independent of whether the device ever
received the push, exactly as on the real service. ``caller_events`` is what the caller's own plugin
would see (``joinedRoomByCaller``, ``busy``, ``endVoip`` ...), exposed by ``GET /calls/<roomId>``.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from simulator.wmpf.scheduler import Scheduler
from simulator.wmpf.timing import Timing


class RoomState(enum.Enum):
    RINGING = "ringing"  # placed; waiting for the listener to answer
    JOINING = "joining"  # the listener answered; waiting for both to be in the room
    CONNECTED = "connected"
    ENDED = "ended"


class RoomListener(Protocol):
    """What the device's call page implements so the room can reach it."""

    def on_caller_joined(self) -> None: ...
    def on_caller_cancelled(self) -> None: ...
    def on_caller_hung_up(self) -> None: ...
    def on_ring_timeout(self) -> None: ...
    def on_peer_lost(self) -> None: ...


@dataclass
class CallerPlan:
    """How the simulated caller behaves (``_sim`` in ``POST /callWMPF``)."""

    joins: bool = True  # False: the caller never joins (the listener aborts after 20 s)
    hang_up_after_s: float | None = None  # hang up this long (unscaled) after connecting
    cancel_after_s: float | None = None  # cancel this long (unscaled) after placing, if not yet connected


@dataclass
class Room:
    room_id: str
    sn: str
    room_type: str
    caller_name: str
    listener_name: str
    timing: Timing
    plan: CallerPlan = field(default_factory=CallerPlan)
    loopback: bool = False  # made by the device for a push the backend never sent (debug injection)
    state: RoomState = RoomState.RINGING
    end_reason: str | None = None
    caller_joined: bool = False
    caller_network_lost: bool = False
    listener: RoomListener | None = None
    caller_events: list[dict[str, Any]] = field(default_factory=list)
    created_mono_ns: int = field(default_factory=time.monotonic_ns)
    connected_mono_ns: int | None = None
    ended_mono_ns: int | None = None

    def __post_init__(self) -> None:
        self.scheduler = Scheduler(f"room {self.room_id}")
        self._ring_timer = None
        self.on_end: list[Any] = []
        self.on_connect: list[Any] = []  # callbacks(room) when both sides are in the room (the caller's page)

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """The caller created the room: it joins shortly, and the 60 s ring timeout starts."""
        if self.plan.joins:
            self.scheduler.later(self.timing.delay("caller_join_ms"), self._caller_joins)
        self._ring_timer = self.scheduler.later(self.timing.timer("ring_timeout_s"), self._ring_timeout)
        if self.plan.cancel_after_s is not None:
            self.scheduler.later(self.timing.scaled(self.plan.cancel_after_s), self.caller_cancel)

    @property
    def active(self) -> bool:
        return self.state is not RoomState.ENDED

    @property
    def keep_time_s(self) -> int:
        """Whole seconds (unscaled) since the call connected."""
        if self.connected_mono_ns is None:
            return 0
        end = self.ended_mono_ns or time.monotonic_ns()
        return int((end - self.connected_mono_ns) / 1e9 / self.timing.time_scale)

    def _caller_event(self, name: str, **data: Any) -> None:
        self.caller_events.append({"eventName": name, "roomId": self.room_id, "data": data,
                                   "host_mono_ns": time.monotonic_ns()})

    def _end(self, reason: str, *caller_events: tuple[str, dict[str, Any]]) -> None:
        if self.state is RoomState.ENDED:
            return
        for name, data in caller_events:
            self._caller_event(name, **data)
        self.state = RoomState.ENDED
        self.end_reason = reason
        self.ended_mono_ns = time.monotonic_ns()
        self._caller_event("endVoip", keepTime=self.keep_time_s, isCaller=True, roomType=self.room_type,
                           callerName=self.caller_name, listenerName=self.listener_name, businessType=2)
        self.scheduler.cancel_all()
        callbacks, self.on_end = self.on_end, []
        for callback in callbacks:
            callback(self)
        # An ended room stays in the backend's history (GET /calls/<roomId>) for up to MAX_ROOMS calls: drop
        # what ties it to the call's live objects (the device's VoipSession as listener, the callbacks'
        # closures, the cancelled ring timer), so a soak's history holds small records, not every session.
        self.on_connect = []
        self.listener = None
        self._ring_timer = None

    # -- caller side ----------------------------------------------------------------------------------
    def _caller_joins(self) -> None:
        if not self.active or self.caller_joined:
            return
        self.caller_joined = True
        self._caller_event("joinedRoomByCaller")
        if self.listener is not None:
            self.listener.on_caller_joined()

    def caller_cancel(self) -> bool:
        """The caller hangs up before the call connected: ``cancelVoip`` + ``endVoip`` on both sides."""
        if self.state not in (RoomState.RINGING, RoomState.JOINING):
            return False
        listener = self.listener
        self._end("cancelled", ("cancelVoip", {"status": "manual"}))
        if listener is not None:
            listener.on_caller_cancelled()
        return True

    def caller_hang_up(self) -> bool:
        """The caller hangs up: ``hangUpVoip`` when connected, otherwise a cancel."""
        if self.state is not RoomState.CONNECTED:
            return self.caller_cancel()
        listener = self.listener
        self._end("hung_up_by_caller", ("hangUpVoip", {"keepTime": self.keep_time_s, "status": "endByCaller",
                                                        "origin": "manual"}))
        if listener is not None:
            listener.on_caller_hung_up()
        return True

    def caller_lose_network(self) -> bool:
        """The caller's phone stops sending packets; the device notices after ``network_loss_detect_ms``."""
        if not self.active:
            return False
        self.caller_network_lost = True
        self.scheduler.later(self.timing.delay("network_loss_detect_ms"), self._peer_lost)
        return True

    def _peer_lost(self) -> None:
        if not self.active:
            return
        listener = self.listener
        self._end("caller_network_lost", ("abortVoip", {"keepTime": self.keep_time_s, "status": "abortByCaller",
                                                         "error": {"errMsg": "call interrupted due to native reason"}}))
        if listener is not None:
            listener.on_peer_lost()

    def _ring_timeout(self) -> None:
        if self.state is not RoomState.RINGING:
            return
        listener = self.listener
        self._end("timeout", ("timeout", {}))
        if listener is not None:
            listener.on_ring_timeout()

    # -- listener side (the device's call page) -----------------------------------------------------
    def attach(self, listener: RoomListener) -> bool:
        """The call page opened for this room; False if the room is already over (join fails)."""
        if not self.active:
            return False
        self.listener = listener
        return True

    def listener_answered(self) -> None:
        if self.state is RoomState.RINGING:
            self.state = RoomState.JOINING
            self.scheduler.cancel(self._ring_timer)

    def listener_connected(self) -> None:
        if self.state is RoomState.JOINING:
            self.state = RoomState.CONNECTED
            self.connected_mono_ns = time.monotonic_ns()
            for callback in self.on_connect:
                callback(self)
            if self.plan.hang_up_after_s is not None:
                self.scheduler.later(self.timing.scaled(self.plan.hang_up_after_s), self.caller_hang_up)

    def listener_rejected(self) -> None:
        self._end("rejected", ("rejectVoip", {"status": "other"}))

    def listener_hung_up(self) -> None:
        self._end("hung_up_by_listener", ("hangUpVoip", {"keepTime": self.keep_time_s, "status": "endByListener",
                                                          "origin": "other"}))

    def listener_aborted(self, reason: str, errmsg: str) -> None:
        self._end(reason, ("abortVoip", {"keepTime": self.keep_time_s, "status": "unknown",
                                         "error": {"errMsg": errmsg}}))

    def listener_busy(self) -> None:
        self._end("busy", ("busy", {}))

    def listener_lost(self) -> None:
        """The device's call page died (WMPF killed, reboot): the caller sees the room abort."""
        self.listener = None
        if self.active:
            self._end("listener_lost", ("abortVoip", {"keepTime": self.keep_time_s, "status": "unknown",
                                                       "error": {"errMsg": "room status is abort"}}))

    def describe(self) -> dict[str, Any]:
        return {
            "roomId": self.room_id, "sn": self.sn, "roomType": self.room_type, "callerName": self.caller_name,
            "state": self.state.value, "endReason": self.end_reason, "callerJoined": self.caller_joined,
            "keepTime": self.keep_time_s, "loopback": self.loopback,
            "callerEvents": [{k: v for k, v in e.items() if k != "host_mono_ns"} for e in self.caller_events],
        }
