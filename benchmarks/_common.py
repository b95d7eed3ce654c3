"""Shared helpers for benchmarks: an isolated adb server, statistics and result files."""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3), "p90_ms": round(percentile(ms, 0.9), 3),
            "min_ms": round(min(ms), 3), "max_ms": round(max(ms), 3)}


def save(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    record = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
              "figures": figures}
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"-> {path}")
    return path


def stats_ms(values: list[float]) -> dict[str, float]:
    """n, median, p90, p99 and max of values already in milliseconds."""
    return {"n": len(values), "median_ms": round(statistics.median(values), 3),
            "p90_ms": round(percentile(values, 0.9), 3), "p99_ms": round(percentile(values, 0.99), 3),
            "max_ms": round(max(values), 3)}


def device_share_ms(record: Any, hang_up: str, hold_s: float) -> float:
    """The device's own part of a driven call (placed → ring, Answer tap landed → connected, the hold, hang-up
    landed → end mode): the rest of the call's wall time is the harness's overhead."""
    ev = record.events
    landed = ev["answer_tapped"] if "answer_tapped" in ev else ev["answer_tap"]
    hung = ev["hang_up_tap"] if hang_up == "device" else ev["caller_hang_up"]
    return ((ev["ring_shown"].host_ms - ev["placed"].host_ms) + (ev["connected"].host_ms - landed.host_ms)
            + hold_s * 1000 + (ev["end_mode"].host_ms - hung.host_ms))
