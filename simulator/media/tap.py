"""The device's record of its own media traffic, for ``tcpdump`` on the device.

Every datagram the device's media socket sends or receives passes :meth:`PacketTap.record`. With nobody
capturing that is one attribute test; with captures running each gets the packet stamped with the *device*
clock at that instant (what the kernel's capture hook would stamp), queued for the capturing command. A
capture that falls far behind (its reader stalled) loses packets and counts them, like the kernel's ring
buffer ("packets dropped by kernel"), instead of growing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

Packet = tuple[int, bool, tuple[str, int], tuple[str, int], bytes]  # ts_ns, outgoing, src, dst, payload
MAX_QUEUED = 20000


class Capture:
    """One running capture: a queue of packets and a wake-up for the command that drains it."""

    def __init__(self, tap: PacketTap) -> None:
        self.tap = tap
        self.queue: deque[Packet] = deque()
        self.dropped = 0
        self._event = asyncio.Event()
        self.closed = False

    def push(self, packet: Packet) -> None:
        if len(self.queue) >= MAX_QUEUED:
            self.dropped += 1
            return
        self.queue.append(packet)
        self._event.set()

    async def wait(self, timeout: float) -> None:
        """Until a packet is queued, the tap closes (device shutdown) or ``timeout`` passes."""
        if self.queue or self.closed:
            return
        self._event.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)

    def drain(self) -> list[Packet]:
        items = list(self.queue)
        self.queue.clear()
        return items

    def close(self) -> None:
        self.closed = True
        self._event.set()
        self.tap.remove(self)


class PacketTap:
    def __init__(self, clock_ns: Callable[[], int]) -> None:
        self._clock_ns = clock_ns
        self._captures: list[Capture] = []

    @property
    def active(self) -> bool:
        return bool(self._captures)

    def open(self) -> Capture:
        capture = Capture(self)
        self._captures.append(capture)
        return capture

    def remove(self, capture: Capture) -> None:
        if capture in self._captures:
            self._captures.remove(capture)

    def record(self, outgoing: bool, src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> None:
        if not self._captures:
            return
        packet = (self._clock_ns(), outgoing, src, dst, payload)
        for capture in self._captures:
            capture.push(packet)

    def close_all(self) -> None:
        for capture in list(self._captures):
            capture.close()
