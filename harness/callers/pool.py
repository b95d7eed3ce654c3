"""Several phones as one caller: a second phone makes a second call while the first is up (the busy scenario).

A lab with two phones running WeChat passes ``--caller-serial`` twice; the simulator starts two phones. Each
call goes to the first phone not already in a call, and the caller's later steps (state, cancel, hang up) go
to the phone that placed it. One phone can do everything but place a second call during a call, so the pool
adds ``concurrent_calls`` to what its phones can all do.
"""

from __future__ import annotations

from typing import Any, ClassVar

from harness.callers.base import Caller, CallerBase, CallRequest, Capability, Placement
from harness.errors import InjectionError


class CallerPool(CallerBase):
    name: ClassVar[str] = "phone app"

    def __init__(self, members: list[Caller]) -> None:
        if not members:
            raise ValueError("a caller pool needs at least one caller")
        self.members = members
        common = frozenset.intersection(*(m.capabilities for m in members))
        self.capabilities = common | ({Capability.CONCURRENT_CALLS} if len(members) > 1 else frozenset())
        self._rooms: dict[int, str | None] = {}  # member index -> the room it placed last (None: unknown id)
        self._last: int | None = None

    def how(self, capability: Capability) -> str:
        if capability is Capability.CONCURRENT_CALLS:
            return "give a second phone (--caller-serial twice) or use a phone bot (--caller phone_bot)"
        return self.members[0].how(capability)

    def _busy(self, index: int) -> bool:
        if index not in self._rooms:
            return False
        state = self.members[index].state(self._rooms[index])
        return state is not None and state.get("state") in ("calling", "connected")

    def place(self, request: CallRequest) -> Placement:
        index = next((i for i in range(len(self.members)) if not self._busy(i)), None)
        if index is None:
            raise InjectionError(f"every caller phone is in a call ({len(self.members)} phones)")
        placement = self.members[index].place(request)
        self._rooms[index] = placement.room_id
        self._last = index
        return placement

    def _member(self, room_id: str | None) -> Caller:
        for index, room in self._rooms.items():
            if room is not None and room == room_id:
                return self.members[index]
        return self.members[self._last if self._last is not None else 0]

    def state(self, room_id: str | None) -> dict[str, Any] | None:
        return self._member(room_id).state(room_id)

    def cancel(self, room_id: str | None) -> None:
        self._member(room_id).cancel(room_id)

    def hang_up(self, room_id: str | None) -> None:
        self._member(room_id).hang_up(room_id)

    def lose_network(self, room_id: str | None) -> None:
        self._member(room_id).lose_network(room_id)

    def close(self) -> None:
        for member in self.members:
            member.close()
