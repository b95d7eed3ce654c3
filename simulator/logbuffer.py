"""The device's log buffer: the data model behind ``logcat``.

A bounded ring of entries with the fields Android keeps (device wall time, uptime, pid, tid, uid,
priority, tag, message). Formatting lives in :mod:`simulator.logcat_format`; here only storage and live
subscriptions, so writers (the simulated apps) never wait on readers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from simulator.clock import DeviceClock

PRIORITIES = "  VDIWEFS"  # index = Android priority number (2 = V ... 7 = F, 8 = S)
# logd's rings in log id order (LOG_ID_MAIN = 0 ...); logcat's dividers and ``-b`` use these names.
BUFFERS = ("main", "radio", "events", "system", "crash", "stats", "security", "kernel")


def priority_number(letter: str) -> int:
    """Map ``"I"`` to 4 etc.; raise ValueError for an unknown letter."""
    idx = PRIORITIES.find(letter.upper(), 2)
    if idx < 2:
        raise ValueError(f"unknown log priority {letter!r} (use one of V D I W E F)")
    return idx


@dataclass(frozen=True)
class LogEntry:
    wall_ns: int  # device wall clock
    uptime_ns: int  # device monotonic clock since boot
    pid: int
    tid: int
    uid: int
    priority: int  # 2..7
    tag: str
    message: str
    buffer: str = "main"  # logd ring: main, system, crash, events, radio, kernel

    @property
    def priority_letter(self) -> str:
        return PRIORITIES[self.priority]


class LogBuffer:
    """Ring buffer plus fan-out to live readers (``logcat`` without ``-d``)."""

    def __init__(self, clock: DeviceClock, capacity: int = 4096) -> None:
        self.clock = clock
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._subscribers: set[asyncio.Queue[LogEntry | None]] = set()

    def log(self, priority: str | int, tag: str, message: str, *, pid: int, tid: int | None = None,
            uid: int = 1000, host_mono_ns: int | None = None, buffer: str = "main") -> LogEntry:
        """Append an entry. Framework services (ActivityManager, ...) log to ``buffer="system"`` as Slog does;
        ``logcat`` prints a ``--------- beginning of <buffer>`` divider when the buffer changes."""
        if buffer not in BUFFERS:
            raise ValueError(f"unknown log buffer {buffer!r} (use one of {', '.join(BUFFERS)})")
        prio = priority if isinstance(priority, int) else priority_number(priority)
        entry = LogEntry(
            wall_ns=self.clock.wall_ns(host_mono_ns), uptime_ns=self.clock.uptime_ns(host_mono_ns),
            pid=pid, tid=pid if tid is None else tid, uid=uid, priority=prio, tag=tag, message=message,
            buffer=buffer,
        )
        self._entries.append(entry)
        for queue in self._subscribers:
            queue.put_nowait(entry)
        return entry

    def entries(self) -> list[LogEntry]:
        return list(self._entries)

    def clear(self, buffers: frozenset[str] | set[str] | None = None) -> None:
        """Forget every entry, or only those of the given buffers (``logcat -b system -c``)."""
        if buffers is None:
            self._entries.clear()
            return
        kept = [e for e in self._entries if e.buffer not in buffers]
        self._entries.clear()
        self._entries.extend(kept)

    def subscribe(self) -> asyncio.Queue[LogEntry | None]:
        """A queue receiving every entry logged from now on; ``None`` means the device went away."""
        queue: asyncio.Queue[LogEntry | None] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[LogEntry | None]) -> None:
        self._subscribers.discard(queue)

    def close_subscribers(self) -> None:
        for queue in self._subscribers:
            queue.put_nowait(None)
        self._subscribers.clear()
