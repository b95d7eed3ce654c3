"""Device-minus-host clock offset and drift, with a hard bound, from bracketed samples.

A sample is ``(host_before, device, host_after)``: the device read its clock at some host instant inside the
bracket. With the offset modelled as a line over host time, ``offset(t) = a + b·(t − t_ref)`` (``b`` is the
drift), each sample is exactly two linear constraints on ``(a, b)``::

    a + b·(host_before − t_ref) ≤ device − host_before      (the read was not before the bracket)
    a + b·(host_after − t_ref)  ≥ device − host_after       (nor after it)

The set of lines consistent with every sample is a convex polygon (with a prior bound on ``|b|``). At any host
instant the offset lies between the polygon's lowest and highest line: the midpoint is the estimate and half
the spread is a *guaranteed* bound (given the model), which is what "half the tightest bracket plus the drift
uncertainty" means made exact. Wide brackets add no constraint, tight ones shape the polygon; samples spread
over time pin the drift down, so the bound is smallest between samples and grows outside them.

Pure arithmetic, no I/O: the clock-sync service feeds it, tests feed it synthetic brackets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from harness.errors import ClockSyncError

NS_PER_US = 1_000
DEFAULT_MAX_DRIFT_PPM = 1000.0  # crystals are ~±50 ppm; NTP slewing on the device can add up to 500 ppm


@dataclass(frozen=True)
class ClockSample:
    """Host instants bracketing one device clock reading (all ns since the epoch)."""

    host_before_ns: int
    device_ns: int
    host_after_ns: int

    @property
    def width_ns(self) -> int:
        return self.host_after_ns - self.host_before_ns

    @property
    def mid_ns(self) -> int:
        return (self.host_before_ns + self.host_after_ns) // 2

    @property
    def offset_ns(self) -> int:
        """The naive offset at the bracket's midpoint (error ≤ half the width)."""
        return self.device_ns - self.mid_ns


Point = tuple[float, float]  # (a µs, b dimensionless)


def _clip(polygon: list[Point], alpha: float, beta: float, gamma: float) -> list[Point]:
    """Sutherland–Hodgman: keep the part of a convex polygon where ``alpha·a + beta·b ≤ gamma``."""
    if not polygon:
        return polygon
    out: list[Point] = []
    n = len(polygon)
    for i in range(n):
        p, q = polygon[i], polygon[(i + 1) % n]
        fp = alpha * p[0] + beta * p[1] - gamma
        fq = alpha * q[0] + beta * q[1] - gamma
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


@dataclass(frozen=True)
class ClockEstimate:
    """A snapshot of what the samples say; maps instants between the host and device clocks with bounds."""

    rough_offset_ns: int  # subtracted before the float arithmetic, so ±1 day keeps ns precision
    t_ref_ns: int
    vertices: tuple[Point, ...]
    resolution_ns: int
    samples: int
    first_host_ns: int
    last_host_ns: int
    tightest_width_ns: int

    def offset_range_ns(self, host_ns: int) -> tuple[float, float]:
        x_us = (host_ns - self.t_ref_ns) / NS_PER_US
        values = [a + b * x_us for a, b in self.vertices]
        pad = self.resolution_ns / NS_PER_US
        return (self.rough_offset_ns + (min(values) - pad) * NS_PER_US,
                self.rough_offset_ns + (max(values) + pad) * NS_PER_US)

    def offset_at(self, host_ns: int) -> tuple[float, float]:
        """``(offset_ns, bound_ns)``: device minus host at host instant ``host_ns``, and its error bound."""
        lo, hi = self.offset_range_ns(host_ns)
        return (lo + hi) / 2, (hi - lo) / 2

    def device_to_host(self, device_ns: int | float) -> tuple[float, float]:
        """``(host_ns, bound_ns)`` of the host instant at which the device clock read ``device_ns``."""
        host = device_ns - self.rough_offset_ns
        for _ in range(3):  # offset changes by ppm over the correction: converges at once
            offset, bound = self.offset_at(int(host))
            host = device_ns - offset
        return host, bound

    def host_to_device(self, host_ns: int | float) -> tuple[float, float]:
        offset, bound = self.offset_at(int(host_ns))
        return host_ns + offset, bound

    @property
    def drift_ppm_range(self) -> tuple[float, float]:
        bs = [b for _, b in self.vertices]
        return min(bs) * 1e6, max(bs) * 1e6

    @property
    def drift_ppm(self) -> float:
        lo, hi = self.drift_ppm_range
        return (lo + hi) / 2

    def bound_ms(self, host_ns: int | None = None) -> float:
        """The offset bound in ms at ``host_ns`` (default: the last sample, where it is tightest nearby)."""
        return self.offset_at(self.last_host_ns if host_ns is None else host_ns)[1] / 1e6


@dataclass
class ClockModel:
    """Accumulates samples (keeping the tightest few of each burst) and produces :class:`ClockEstimate`."""

    max_drift_ppm: float = DEFAULT_MAX_DRIFT_PPM
    resolution_ns: int = 0  # the device clock's reading granularity (date +%N: 1 ns; logcat usec: separate)
    keep_per_burst: int = 4
    max_samples: int = 4096
    _kept: list[ClockSample] = field(default_factory=list)
    _rough: int | None = None
    _t_ref: int | None = None
    resets: int = 0

    @property
    def samples(self) -> Sequence[ClockSample]:
        return tuple(self._kept)

    def add_burst(self, burst: Iterable[ClockSample]) -> list[ClockSample]:
        """Add one burst of samples taken back to back; keep its ``keep_per_burst`` tightest brackets."""
        ordered = sorted((s for s in burst if s.width_ns >= 0), key=lambda s: s.width_ns)
        kept = ordered[: self.keep_per_burst]
        if not kept:
            return []
        if self._rough is None:
            self._rough = kept[0].offset_ns
            self._t_ref = kept[0].mid_ns
        self._kept.extend(kept)
        self._kept.sort(key=lambda s: s.mid_ns)
        if len(self._kept) > self.max_samples:  # a very long run: forget the oldest (but the first) samples
            del self._kept[1: 1 + len(self._kept) - self.max_samples]
        if not self._polygon(self._kept):
            # inconsistent with the past: the device clock stepped (NTP, a user). Start over from this burst.
            self.resets += 1
            self._kept = sorted(kept, key=lambda s: s.mid_ns)
            self._rough = kept[0].offset_ns
            self._t_ref = kept[0].mid_ns
        return kept

    def add(self, sample: ClockSample) -> None:
        self.add_burst([sample])

    def _polygon(self, samples: Sequence[ClockSample]) -> list[Point]:
        assert self._rough is not None and self._t_ref is not None
        rough, t_ref = self._rough, self._t_ref
        bmax = self.max_drift_ppm * 1e-6
        span_us = max(abs(s.mid_ns - t_ref) for s in samples) / NS_PER_US + 1.0
        reach = max(abs(s.device_ns - s.host_before_ns - rough) + s.width_ns for s in samples) / NS_PER_US
        amax = reach + bmax * span_us + 1.0
        poly: list[Point] = [(-amax, -bmax), (amax, -bmax), (amax, bmax), (-amax, bmax)]
        res_us = self.resolution_ns / NS_PER_US
        for s in samples:
            x0 = (s.host_before_ns - t_ref) / NS_PER_US
            x1 = (s.host_after_ns - t_ref) / NS_PER_US
            upper = (s.device_ns - s.host_before_ns - rough) / NS_PER_US + res_us
            lower = (s.device_ns - s.host_after_ns - rough) / NS_PER_US - res_us
            poly = _clip(poly, 1.0, x0, upper)  # a + b·x0 ≤ upper
            poly = _clip(poly, -1.0, -x1, -lower)  # a + b·x1 ≥ lower
            if len(poly) < 1:
                return []
        return poly

    def estimate(self) -> ClockEstimate:
        if not self._kept:
            raise ClockSyncError("no clock samples yet: the clock-sync service has not sampled the device")
        poly = self._polygon(self._kept)
        if not poly:  # cannot happen after add_burst's reset, but never return garbage
            raise ClockSyncError("clock samples are inconsistent (device clock stepped?)")
        assert self._rough is not None and self._t_ref is not None
        finite = tuple(p for p in poly if math.isfinite(p[0]) and math.isfinite(p[1]))
        return ClockEstimate(
            rough_offset_ns=self._rough, t_ref_ns=self._t_ref, vertices=finite,
            resolution_ns=0, samples=len(self._kept),
            first_host_ns=self._kept[0].host_before_ns, last_host_ns=self._kept[-1].host_after_ns,
            tightest_width_ns=min(s.width_ns for s in self._kept))
