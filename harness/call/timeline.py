"""Typed call events from a device's log, on the device clock, mapped onto the host timeline with a bound.

The app profile says which log lines mean what; :class:`EventClassifier` turns a :class:`LogLine` into
:class:`CallEvent` s (``push_received``, ``ring_shown``, ``voip:hangOnVoip`` for each ``onVoipEvent``,
``wmpf_started``...). :class:`Timeline` waits for them on the device's streaming logcat (no polling) and maps
device instants to host instants through the clock-sync estimate, so a figure that starts on the host (the
push) and ends on the device (the ring) is a subtraction with a stated bound.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.device.logcat_parse import LogLine
from harness.errors import WaitTimeout

if TYPE_CHECKING:
    from harness.config.app_profile import AppProfile, LogPattern
    from harness.device.clock_model import ClockEstimate
    from harness.device.session import DeviceSession

VOIP_PREFIX = "voip:"


def voip(name: str) -> str:
    """The event kind of one ``onVoipEvent`` (``voip("hangOnVoip")`` → ``"voip:hangOnVoip"``)."""
    return VOIP_PREFIX + name


@dataclass(frozen=True)
class CallEvent:
    kind: str
    line: LogLine
    room_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def device_ns(self) -> int:
        return self.line.device_ns

    @property
    def seq(self) -> int:
        return self.line.seq

    @property
    def resolution_ns(self) -> int:
        return self.line.resolution_ns


class EventClassifier:
    """Applies a profile's patterns to log lines; a tag index keeps it cheap on a chatty log."""

    def __init__(self, profile: AppProfile) -> None:
        self.profile = profile
        self._by_tag: dict[str | None, list[LogPattern]] = {}
        for alternatives in profile.patterns.by_name().values():
            for pattern in alternatives:
                self._by_tag.setdefault(pattern.tag, []).append(pattern)

    def classify(self, line: LogLine) -> list[CallEvent]:
        events: list[CallEvent] = []
        for pattern in (*self._by_tag.get(line.tag, ()), *self._by_tag.get(None, ())):
            groups = pattern.match(line.tag, line.message)
            if groups is None:
                continue
            if pattern.name == "voip_event":
                event = self._voip(line, groups)
                if event is not None:
                    events.append(event)
                continue
            room = groups.pop("room", None)
            events.append(CallEvent(pattern.name, line, room, dict(groups)))
        return events

    @staticmethod
    def _voip(line: LogLine, groups: dict[str, str]) -> CallEvent | None:
        if "json" in groups:
            try:
                payload = json.loads(groups["json"])
            except ValueError:
                return None
            if not isinstance(payload, dict) or not isinstance(payload.get("eventName"), str):
                return None
            room = payload.get("roomId") or payload.get("groupId") or groups.get("room") or None
            data = payload.get("data")
            return CallEvent(voip(payload["eventName"]), line, room,
                             data if isinstance(data, dict) else ({} if data is None else {"value": data}))
        room = groups.pop("room", None) or None
        name = groups.pop("name")
        return CallEvent(voip(name), line, room, dict(groups))


EventFilter = Callable[[CallEvent], bool]


class Timeline:
    """One device's call events: wait for them as they are logged, list them, map them to host time."""

    def __init__(self, session: DeviceSession, profile: AppProfile) -> None:
        self.session = session
        self.profile = profile
        self.classifier = EventClassifier(profile)

    @property
    def logcat(self):  # type: ignore[no-untyped-def]
        return self.session.logcat

    def mark(self) -> int:
        """Take before triggering an action; pass as ``since`` so no event can slip past the wait."""
        return self.logcat.mark()

    def _predicate(self, kind: str, room: str | None, where: EventFilter | None,
                   found: dict[int, CallEvent]) -> Callable[[LogLine], bool]:
        def test(line: LogLine) -> bool:
            for event in self.classifier.classify(line):
                if event.kind != kind:
                    continue
                if room is not None and event.room_id is not None and event.room_id != room:
                    continue
                if where is not None and not where(event):
                    continue
                found[line.seq] = event
                return True
            return False

        return test

    def wait(self, kind: str, timeout: float, *, since: int | None = None, room: str | None = None,
             where: EventFilter | None = None) -> CallEvent:
        """The first ``kind`` event (for ``room``, if it names one) from ``since``; WaitTimeout otherwise."""
        return self.wait_first([kind], timeout, since=since, room=room, where=where)

    def wait_first(self, kinds: Iterable[str], timeout: float, *, since: int | None = None,
                   room: str | None = None, where: EventFilter | None = None) -> CallEvent:
        """The first event of any of ``kinds`` (e.g. the answer, or an early end)."""
        found: dict[int, CallEvent] = {}
        predicates = {kind: self._predicate(kind, room, where, found) for kind in kinds}
        try:
            _, line = self.logcat.wait_for_first(predicates, timeout, since=since)
        except WaitTimeout as exc:
            raise WaitTimeout(" or ".join(kinds), timeout, self.session.serial) from exc
        return found[line.seq]

    def events(self, since: int = 0, until: int | None = None, *, kinds: Iterable[str] | None = None,
               room: str | None = None) -> list[CallEvent]:
        """Every classified event already received in ``[since, until)``."""
        wanted = set(kinds) if kinds is not None else None
        out = []
        for line in self.logcat.lines(since, until):
            for event in self.classifier.classify(line):
                if wanted is not None and event.kind not in wanted:
                    continue
                if room is not None and event.room_id is not None and event.room_id != room:
                    continue
                out.append(event)
        return out

    # -- host time -------------------------------------------------------------------------------------
    def to_host(self, event: CallEvent | LogLine, estimate: ClockEstimate | None = None) -> tuple[float, float]:
        """``(host_ns, bound_ns)`` of a device event: clock mapping plus half the log's resolution."""
        line = event.line if isinstance(event, CallEvent) else event
        est = estimate or self.session.clock.estimate()
        half = line.resolution_ns / 2
        host, bound = est.device_to_host(line.device_ns + half)
        return host, bound + half
