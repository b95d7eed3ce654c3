"""The caller's side behind one small interface: place a call, watch it, cancel it, hang it up.

A lab calls a WMPF device the way a person does (a phone running WeChat: :mod:`harness.callers.phone_app`),
through a backend test hook (the phone bot API: :mod:`harness.callers.bot`), or, on a debug build, by
broadcasting the push (:mod:`harness.callers.broadcast`). Each adapter declares what it can do as
:class:`Capability` values; a scenario declares what it needs with ``needs_*`` markers, and one hook in the
pytest plugin skips what cannot run, naming the missing capability — no scenario asks "which caller is this?".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from harness.errors import CapabilityMissing
from harness.hostclock import HostBracket


class Capability(str, enum.Enum):
    """What a caller (or the lab's fault injector) can do."""

    CONNECT = "connect"  # the caller joins the room: a call can connect
    CANCEL = "cancel"  # the caller hangs up before the device answers
    HANG_UP = "hang_up"  # the caller hangs up a connected call
    LOSE_NETWORK = "lose_network"  # the caller's network drops mid-call
    CALL_STATE = "call_state"  # the caller's view of the call (calling, connected, ended with reason)
    CALLER_NAME = "caller_name"  # the caller chooses the name the device shows
    AUTO_ANSWER = "auto_answer"  # the push can carry isClickedHangOnBtn=1
    CONCURRENT_CALLS = "concurrent_calls"  # a second call while the first is up (busy)
    RAW_PUSH = "raw_push"  # any text as a push (malformed pushes)
    # what the lab's fault injector adds (harness.callers.lab_faults)
    FAULTS = "faults"  # device faults (WMPF killed, listener late, pushes lost...)
    CALLER_PLAN = "caller_plan"  # the caller never joins, or hangs up after N s


    @property
    def doing(self) -> str:
        """What the capability lets one do, in words (for skip and error messages)."""
        return _DOING[self]


_DOING = {
    Capability.CONNECT: "connect a call (join the room)", Capability.CANCEL: "cancel a call before it is answered",
    Capability.HANG_UP: "hang up a connected call", Capability.LOSE_NETWORK: "lose its network mid-call",
    Capability.CALL_STATE: "tell the call's state", Capability.CALLER_NAME: "choose the caller's name",
    Capability.AUTO_ANSWER: "ask for auto-answer (isClickedHangOnBtn=1)",
    Capability.CONCURRENT_CALLS: "place a second call during a call", Capability.RAW_PUSH: "push raw text",
    Capability.FAULTS: "set device faults",
    Capability.CALLER_PLAN: "keep the caller out of the room or time its hang-up",
}

ROOM_TYPES = ("voice", "video")


@dataclass(frozen=True)
class CallRequest:
    """What a scenario asks for; ``caller_name`` None means the caller's own name."""

    sn: str  # the device's SN (ro.serialno), as the WeChat backend knows it
    room_type: str = "video"
    caller_name: str | None = None
    auto_answer: bool = False
    custom_query: dict[str, str] = field(default_factory=dict)
    env_version: str = "release"
    default_caller_name: str = "wmpf-hil"


@dataclass(frozen=True)
class Placement(HostBracket):
    """A placed call: how, which room (when the caller learns it), and when (host instants, ns since the epoch).

    ``phone_events`` are caller-side instants the phone logged (name → (host ns, bound ns)), such as the
    plugin's callWMPF answer: the phone-side share of push_to_ring."""

    method: str
    room_id: str | None
    host_before_ns: int
    host_after_ns: int
    detail: dict[str, Any] = field(default_factory=dict)
    phone_events: dict[str, tuple[float, float]] = field(default_factory=dict)


class Caller(Protocol):
    """One way to be the caller. ``state`` returns ``{"state": "calling"|"connected"|"ended", "endReason"}`` or
    None when the caller cannot tell (see :attr:`capabilities`)."""

    name: str
    capabilities: frozenset[Capability]

    def place(self, request: CallRequest) -> Placement: ...
    def cancel(self, room_id: str | None) -> None: ...
    def hang_up(self, room_id: str | None) -> None: ...
    def state(self, room_id: str | None) -> dict[str, Any] | None: ...
    def lose_network(self, room_id: str | None) -> None: ...
    def close(self) -> None: ...
    def how(self, capability: Capability) -> str: ...


class CallerBase:
    """Shared behaviour: a step the adapter lacks raises :class:`CapabilityMissing` before anything is touched."""

    name: ClassVar[str] = "caller"
    capabilities: frozenset[Capability] = frozenset()
    how_to_get: ClassVar[str] = ""

    def how(self, capability: Capability) -> str:
        """How to get ``capability`` when this caller lacks it (one clause for skip and error messages)."""
        return self.how_to_get

    def require(self, capability: Capability) -> None:
        if capability not in self.capabilities:
            raise CapabilityMissing(capability.value, f"the {self.name} caller", self.how(capability),
                                    doing=capability.doing)

    def cancel(self, room_id: str | None) -> None:
        self.require(Capability.CANCEL)

    def hang_up(self, room_id: str | None) -> None:
        self.require(Capability.HANG_UP)

    def lose_network(self, room_id: str | None) -> None:
        self.require(Capability.LOSE_NETWORK)

    def state(self, room_id: str | None) -> dict[str, Any] | None:
        return None

    def close(self) -> None:
        return None
