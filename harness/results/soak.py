"""A soak's process samples, read back from the call records, and their growth per hundred calls.

The soak scenario stores, on each call's record, the sample it took just before placing that call
(``record.extra["soak"]``: the call's index in the soak, and per package its pid, PSS, VmRSS, threads and fd
table size; plus the harness's own RSS). Growth is the least-squares slope over call index, times 100, taken
over the longest stretch of one pid (a restarted process starts from its baseline again: a restart is not a
leak, and a leak is not hidden by one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

SOAK_KEY = "soak"
METRICS = ("pss_kb", "rss_kb", "threads", "fd_size")
HARNESS = "harness"  # the series of the harness's own process (metric rss_kb)
MIN_SAMPLES = 10


@dataclass
class Series:
    package: str
    metric: str
    points: list[tuple[int, float, int | None]] = field(default_factory=list)  # (call index, value, pid)

    def longest_run(self) -> list[tuple[int, float]]:
        """The longest stretch of samples from one pid (``None`` pids — the harness — form one stretch)."""
        best: list[tuple[int, float]] = []
        run: list[tuple[int, float]] = []
        last_pid: object = object()
        for index, value, pid in self.points:
            if pid != last_pid:
                run = []
                last_pid = pid
            run.append((index, value))
            if len(run) > len(best):
                best = run
        return best

    def growth_per_100(self) -> float | None:
        """Least-squares slope × 100 calls, or None with fewer than :data:`MIN_SAMPLES` samples of one pid."""
        points = self.longest_run()
        if len(points) < MIN_SAMPLES:
            return None
        n = len(points)
        mx = sum(x for x, _ in points) / n
        my = sum(y for _, y in points) / n
        sxx = sum((x - mx) ** 2 for x, _ in points)
        if sxx == 0:
            return None
        sxy = sum((x - mx) * (y - my) for x, y in points)
        return sxy / sxx * 100


def soak_series(records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Series]:
    """``{(package, metric): Series}`` from record dicts carrying ``extra["soak"]``, in call-index order."""
    out: dict[tuple[str, str], Series] = {}
    samples = sorted((r["extra"][SOAK_KEY] for r in records
                      if isinstance(r.get("extra", {}).get(SOAK_KEY), dict)), key=lambda s: s.get("index", 0))
    for sample in samples:
        index = int(sample.get("index", 0))
        for package, values in (sample.get("processes") or {}).items():
            for metric in METRICS:
                value = values.get(metric)
                if isinstance(value, (int, float)):
                    out.setdefault((package, metric), Series(package, metric)).points.append(
                        (index, float(value), values.get("pid")))
        harness_rss = sample.get("harness_rss_kb")
        if isinstance(harness_rss, (int, float)):
            out.setdefault((HARNESS, "rss_kb"), Series(HARNESS, "rss_kb")).points.append(
                (index, float(harness_rss), None))
    return out


def soak_calls(records: Iterable[dict[str, Any]]) -> int:
    return sum(1 for r in records if isinstance(r.get("extra", {}).get(SOAK_KEY), dict))


def own_rss_kb() -> int | None:
    """This process's resident memory (``VmRSS`` of ``/proc/self/status``), for the harness's own series."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
