"""Release gates: limits a run must meet (a TOML file) and regressions against an earlier run (a baseline).

A release is blocked or shipped on these numbers, so a gates file is validated strictly (a typo in a latency
name must not silently disable a gate: :class:`GatesError` names the file, the key and the problem), and a
verdict lists *every* gate missed and by how much, not only the first. The figures judged are the report's
(:mod:`harness.report.model`): nearest-rank percentiles over passed calls.

File format (``fixtures/gates/default.toml`` is the default set)::

    [latency.push_to_ring]      # any latency of harness.results.records.LATENCIES; stats p50, p90, p99, max (ms)
    p90 = 5000
    [recovery]
    max_ms = 15000              # wmpf_recovery: the slowest WMPF recovery of the run
    [failures]
    product = 0                 # failed calls, failure-proof scenarios' expected failures not counted
    lab_error = 2
    [soak]                      # growth per hundred calls over a soak (least-squares slope, one pid's stretch)
    pss_kb_per_100_calls = 4096 # of the WMPF and host-app processes (dumpsys meminfo TOTAL PSS)
    threads_per_100_calls = 2
    fd_size_per_100_calls = 64  # /proc/PID/status FDSize
    [baseline]                  # used with --baseline RESULTS
    tolerance_pct = 20          # a stat more than 20 % slower than the baseline's is a regression...
    min_delta_ms = 20           # ...and more than 20 ms slower (noise floor for millisecond latencies)
    stats = ["p50", "p90"]
    [baseline.tolerance_pct_by_latency]
    push_to_ring = 10
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.config.locations import FIXTURES_DIR
from harness.config.toml_file import read_toml
from harness.errors import ConfigError
from harness.results.records import LATENCIES

STATS = ("p50", "p90", "p99", "max")
# [soak] key -> the sampled metric it limits (harness.results.soak.METRICS)
SOAK_GATES = {"pss_kb_per_100_calls": "pss_kb", "rss_kb_per_100_calls": "rss_kb",
              "threads_per_100_calls": "threads", "fd_size_per_100_calls": "fd_size"}
DEFAULT_GATES = FIXTURES_DIR / "gates" / "default.toml"


class GatesError(ConfigError):
    """A gates file is invalid (names the file, the key and the problem)."""


@dataclass
class BaselinePolicy:
    tolerance_pct: float = 20.0
    min_delta_ms: float = 20.0
    stats: tuple[str, ...] = ("p50", "p90")
    by_latency: dict[str, float] = field(default_factory=dict)

    def tolerance(self, latency: str) -> float:
        return self.by_latency.get(latency, self.tolerance_pct)


@dataclass
class Gates:
    source: str
    latency: dict[str, dict[str, float]] = field(default_factory=dict)  # {latency: {stat: limit ms}}
    recovery_max_ms: float | None = None
    product_failures: int | None = None
    lab_errors: int | None = None
    soak: dict[str, float] = field(default_factory=dict)  # {metric: limit of growth per 100 calls}
    baseline: BaselinePolicy = field(default_factory=BaselinePolicy)


def _number(source: str, key: str, value: object, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GatesError(source, key, f"must be a number, got {value!r}")
    if value < 0:
        raise GatesError(source, key, f"must not be negative, got {value!r}")
    if integer and int(value) != value:
        raise GatesError(source, key, f"must be a whole number of calls, got {value!r}")
    return float(value)


def _table(source: str, key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GatesError(source, key, f"must be a table, got {type(value).__name__}")
    return value


def _unknown(source: str, prefix: str, keys: set[str], known: tuple[str, ...]) -> None:
    for key in sorted(keys - set(known)):
        raise GatesError(source, f"{prefix}{key}", f"unknown key; known: {', '.join(known)}")


def parse_gates(data: dict[str, Any], source: str) -> Gates:
    _unknown(source, "", set(data), ("latency", "recovery", "failures", "soak", "baseline"))
    gates = Gates(source)
    for name, limits in _table(source, "latency", data.get("latency", {})).items():
        if name not in LATENCIES:
            raise GatesError(source, f"latency.{name}", f"unknown latency; known: {', '.join(LATENCIES)}")
        limits = _table(source, f"latency.{name}", limits)
        _unknown(source, f"latency.{name}.", set(limits), STATS)
        gates.latency[name] = {stat: _number(source, f"latency.{name}.{stat}", v) for stat, v in limits.items()}
    recovery = _table(source, "recovery", data.get("recovery", {}))
    _unknown(source, "recovery.", set(recovery), ("max_ms",))
    if "max_ms" in recovery:
        gates.recovery_max_ms = _number(source, "recovery.max_ms", recovery["max_ms"])
    failures = _table(source, "failures", data.get("failures", {}))
    _unknown(source, "failures.", set(failures), ("product", "lab_error"))
    if "product" in failures:
        gates.product_failures = int(_number(source, "failures.product", failures["product"], integer=True))
    if "lab_error" in failures:
        gates.lab_errors = int(_number(source, "failures.lab_error", failures["lab_error"], integer=True))
    soak = _table(source, "soak", data.get("soak", {}))
    _unknown(source, "soak.", set(soak), tuple(SOAK_GATES))
    gates.soak = {SOAK_GATES[key]: _number(source, f"soak.{key}", value) for key, value in soak.items()}
    base = _table(source, "baseline", data.get("baseline", {}))
    _unknown(source, "baseline.", set(base), ("tolerance_pct", "min_delta_ms", "stats", "tolerance_pct_by_latency"))
    policy = gates.baseline
    if "tolerance_pct" in base:
        policy.tolerance_pct = _number(source, "baseline.tolerance_pct", base["tolerance_pct"])
    if "min_delta_ms" in base:
        policy.min_delta_ms = _number(source, "baseline.min_delta_ms", base["min_delta_ms"])
    if "stats" in base:
        stats = base["stats"]
        if not isinstance(stats, list) or not stats or any(s not in STATS for s in stats):
            raise GatesError(source, "baseline.stats", f"must be a non-empty list of {', '.join(STATS)}; got {stats!r}")
        policy.stats = tuple(stats)
    for name, value in _table(source, "baseline.tolerance_pct_by_latency",
                              base.get("tolerance_pct_by_latency", {})).items():
        if name not in LATENCIES:
            raise GatesError(source, f"baseline.tolerance_pct_by_latency.{name}",
                             f"unknown latency; known: {', '.join(LATENCIES)}")
        policy.by_latency[name] = _number(source, f"baseline.tolerance_pct_by_latency.{name}", value)
    return gates


def load_gates(path: str | Path) -> Gates:
    return parse_gates(read_toml(path, GatesError, key="-"), str(path))


def load_baseline_policy(path: str | Path | None) -> BaselinePolicy:
    """The ``[baseline]`` table of a gates file, or the defaults (20 %, 20 ms, p50 and p90) without one."""
    return load_gates(path).baseline if path is not None else BaselinePolicy()
