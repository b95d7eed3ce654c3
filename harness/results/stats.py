"""Percentiles of call latencies, for the run summary, series scenarios and benchmarks.

Nearest-rank on sorted samples (no interpolation): every figure printed is a latency some call really had,
which is what a lab engineer wants to look up in results.jsonl.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from harness.results.records import LATENCIES

PERCENTILES = (50, 90, 99)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile of already sorted values (ValueError when empty)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(values: Iterable[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    out = {"n": float(len(ordered))}
    out.update({f"p{p}": percentile(ordered, p) for p in PERCENTILES})
    out["max"] = ordered[-1]
    return out


def latency_table(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """``{latency: {n, p50, p90, p99, max}}`` over the *passed* calls of results.jsonl records."""
    samples: dict[str, list[float]] = {}
    for record in records:
        if record.get("outcome") != "passed":
            continue
        for name, value in (record.get("latencies_ms") or {}).items():
            samples.setdefault(name, []).append(float(value))
    return {name: summarize(samples[name]) for name in LATENCIES if name in samples}


def format_table(table: dict[str, dict[str, float]]) -> list[str]:
    if not table:
        return []
    lines = [f"{'latency (ms)':<18}{'n':>5}" + "".join(f"{'p' + str(p):>10}" for p in PERCENTILES) + f"{'max':>10}"]
    for name, row in table.items():
        lines.append(f"{name:<18}{int(row['n']):>5}" + "".join(f"{row[f'p{p}']:>10.1f}" for p in PERCENTILES)
                     + f"{row['max']:>10.1f}")
    return lines
