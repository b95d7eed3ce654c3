"""Per-stream and per-direction RTP statistics from tshark rows, in plain Python (no per-packet objects).

* Loss from sequence numbers (RFC 3550 A.3): expected = extended highest - first + 1, lost = expected -
  distinct received; duplicates and reordering do not count as loss.
* Jitter: RFC 3550 §6.4.1 interarrival jitter ``J += (|D| - J) / 16`` in arrival order, in ms, for payload
  types whose clock rate is known (static types, or the dynamic map: 111 Opus 48 kHz, 96 H.264 90 kHz by
  default). Mean and max over the stream, as tshark's ``-z rtp,streams`` reports them.
* Gaps: silences longer than the threshold (1 s) between consecutive packets of one direction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.analysis.tshark import Row

STATIC_CLOCKS = {0: 8000, 3: 8000, 4: 8000, 8: 8000, 9: 8000, 18: 8000, 26: 90000, 31: 90000, 34: 90000}
DEFAULT_DYNAMIC_CLOCKS = {111: 48000, 96: 90000, 97: 90000, 98: 90000, 100: 90000, 102: 90000, 120: 48000}


@dataclass
class StreamStats:
    ssrc: int
    pt: int
    src: tuple[str, int]
    dst: tuple[str, int]
    direction: str
    clock: int | None
    packets: int = 0
    ip_bytes: int = 0
    first: float = 0.0
    last: float = 0.0
    duplicates: int = 0
    jitter_ms_mean: float | None = None
    jitter_ms_max: float | None = None
    # running state
    _base: int = 0
    _max_ext: int = 0
    _seen: set[int] = field(default_factory=set, repr=False)
    _distinct: int = 0
    _jitter: float = 0.0
    _jitter_sum: float = 0.0
    _jitter_n: int = 0
    _jitter_max: float = 0.0
    _prev_transit: float | None = None

    def add(self, row: Row) -> None:
        assert row.seq is not None and row.timestamp is not None
        if self.packets == 0:
            self.first = row.time
            self._base = self._max_ext = row.seq
        self.packets += 1
        self.ip_bytes += row.ip_len
        self.last = row.time
        # extend the 16-bit sequence number to the value nearest the highest seen
        ext = row.seq + (self._max_ext & ~0xFFFF)
        if ext - self._max_ext > 0x8000:
            ext -= 0x10000
        elif self._max_ext - ext > 0x8000:
            ext += 0x10000
        if ext in self._seen:
            self.duplicates += 1
        else:
            self._seen.add(ext)
            self._distinct += 1
        self._max_ext = max(self._max_ext, ext)
        self._base = min(self._base, ext)
        if self.clock:
            transit = row.time * self.clock - row.timestamp
            if self._prev_transit is not None:
                d = transit - self._prev_transit
                # a 32-bit timestamp wrap shows up as a jump of about 2**32 ticks
                if d > 2**31:
                    d -= 2**32
                elif d < -(2**31):
                    d += 2**32
                self._jitter += (abs(d) - self._jitter) / 16.0
                j_ms = self._jitter / self.clock * 1000.0
                self._jitter_sum += j_ms
                self._jitter_n += 1
                self._jitter_max = max(self._jitter_max, j_ms)
            self._prev_transit = transit

    @property
    def expected(self) -> int:
        return self._max_ext - self._base + 1 if self.packets else 0

    @property
    def lost(self) -> int:
        return max(0, self.expected - self._distinct)

    def finish(self) -> StreamStats:
        if self.clock and self._jitter_n:
            self.jitter_ms_mean = self._jitter_sum / self._jitter_n
            self.jitter_ms_max = self._jitter_max
        elif self.clock:
            self.jitter_ms_mean = self.jitter_ms_max = 0.0
        self._seen = set()
        return self

    def to_dict(self) -> dict[str, Any]:
        duration = self.last - self.first
        return {
            "ssrc": f"0x{self.ssrc:08x}", "payload_type": self.pt, "direction": self.direction,
            "src": f"{self.src[0]}:{self.src[1]}", "dst": f"{self.dst[0]}:{self.dst[1]}",
            "packets": self.packets, "expected": self.expected, "lost": self.lost,
            "loss_pct": round(100.0 * self.lost / self.expected, 3) if self.expected else 0.0,
            "duplicates": self.duplicates,
            "kbps": round(self.ip_bytes * 8 / duration / 1000, 1) if duration > 0 else None,
            "jitter_ms_mean": _r(self.jitter_ms_mean), "jitter_ms_max": _r(self.jitter_ms_max),
            "first": self.first, "last": self.last,
        }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


@dataclass
class DirectionSummary:
    direction: str
    streams: list[StreamStats]
    gaps: list[dict[str, float]]

    @property
    def packets(self) -> int:
        return sum(s.packets for s in self.streams)

    @property
    def first(self) -> float | None:
        return min((s.first for s in self.streams), default=None)

    @property
    def last(self) -> float | None:
        return max((s.last for s in self.streams), default=None)

    def to_dict(self) -> dict[str, Any]:
        expected = sum(s.expected for s in self.streams)
        lost = sum(s.lost for s in self.streams)
        first, last = self.first, self.last
        duration = (last - first) if first is not None and last is not None else 0.0
        jitters = [s.jitter_ms_mean for s in self.streams if s.jitter_ms_mean is not None]
        jmax = [s.jitter_ms_max for s in self.streams if s.jitter_ms_max is not None]
        return {
            "packets": self.packets, "expected": expected, "lost": lost,
            "loss_pct": round(100.0 * lost / expected, 3) if expected else None,
            "ip_bytes": sum(s.ip_bytes for s in self.streams),
            "kbps": round(sum(s.ip_bytes for s in self.streams) * 8 / duration / 1000, 1) if duration > 0 else None,
            "jitter_ms_mean": _r(max(jitters)) if jitters else None,
            "jitter_ms_max": _r(max(jmax)) if jmax else None,
            "first": first, "last": last, "duration_s": round(duration, 3),
            "gaps": self.gaps, "streams": [s.to_dict() for s in self.streams],
        }


def find_gaps(times: Iterable[float], threshold_s: float) -> list[dict[str, float]]:
    gaps = []
    prev: float | None = None
    for t in sorted(times):
        if prev is not None and t - prev > threshold_s:
            gaps.append({"start": prev, "end": t, "duration_s": round(t - prev, 3)})
        prev = t
    return gaps
