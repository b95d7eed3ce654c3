"""Release gates: limits a run must meet (a TOML file) and regressions against an earlier run (a baseline).

A release is blocked or shipped on these numbers, so a gates file is validated strictly (a typo in a latency
name must not silently disable a gate: :class:`GatesError` names the file, the key and the problem), and a
verdict lists *every* gate missed and by how much, not only the first. The figures judged are the report's
(:mod:`harness.report.model`): nearest-rank percentiles over passed calls.

File format (``fixtures/gates/default.toml`` is the default set)::

    [latency.push_to_ring]      # any latency of harness.records.LATENCIES; stats p50, p90, p99, max (ms)
    p90 = 5000
    [recovery]
    max_ms = 15000              # wmpf_recovery: the slowest WMPF recovery of the run
    [failures]
    product = 0                 # failed calls, failure-proof scenarios' expected failures not counted
    lab_error = 2
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

from harness.errors import ConfigError
from harness.records import LATENCIES
from harness.report.model import RunReport
from harness.toml_file import read_toml

STATS = ("p50", "p90", "p99", "max")
DEFAULT_GATES = Path(__file__).resolve().parent.parent / "fixtures" / "gates" / "default.toml"


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
    baseline: BaselinePolicy = field(default_factory=BaselinePolicy)


@dataclass
class GateResult:
    gate: str
    limit: float
    actual: float | None  # None: nothing measured (no passed call had this latency)
    unit: str  # "ms" or "calls"

    @property
    def measured(self) -> bool:
        return self.actual is not None

    @property
    def passed(self) -> bool:
        return self.actual is None or self.actual <= self.limit

    @property
    def missed_by(self) -> float:
        return 0.0 if self.actual is None else max(0.0, self.actual - self.limit)

    def describe(self) -> str:
        if self.actual is None:
            return "not measured"
        if self.passed:
            return "ok"
        pct = f" (+{self.missed_by / self.limit * 100:.0f} %)" if self.limit > 0 else ""
        return f"MISSED by {self.missed_by:g} {self.unit}{pct}"


@dataclass
class Regression:
    latency: str
    stat: str
    baseline_ms: float
    current_ms: float
    tolerance_pct: float
    min_delta_ms: float

    @property
    def change_pct(self) -> float:
        return (self.current_ms - self.baseline_ms) / self.baseline_ms * 100 if self.baseline_ms > 0 else 0.0

    @property
    def regressed(self) -> bool:
        delta = self.current_ms - self.baseline_ms
        return delta > self.min_delta_ms and delta > self.baseline_ms * self.tolerance_pct / 100

    def describe(self) -> str:
        word = "REGRESSED" if self.regressed else "ok"
        return f"{word} ({self.change_pct:+.1f} %, tolerance {self.tolerance_pct:g} % and {self.min_delta_ms:g} ms)"


@dataclass
class Verdict:
    source: str
    gates: list[GateResult]
    regressions: list[Regression] = field(default_factory=list)
    baseline_source: str | None = None
    calls: int | None = None  # calls in the judged run; a run with none proves nothing and fails its gates

    @property
    def no_calls(self) -> bool:
        return self.calls == 0

    @property
    def missed(self) -> list[GateResult]:
        return [g for g in self.gates if not g.passed]

    @property
    def regressed(self) -> list[Regression]:
        return [r for r in self.regressions if r.regressed]

    @property
    def failed(self) -> bool:
        return bool(self.missed or self.regressed or self.no_calls)

    def lines(self) -> list[str]:
        """A plain-text table: every gate, then every baseline comparison, then the verdict."""
        out = [f"gates: {self.source}", f"  {'gate':<28}{'limit':>12}{'actual':>12}  result"]
        for g in self.gates:
            actual = "-" if g.actual is None else f"{g.actual:g}"
            out.append(f"  {g.gate:<28}{g.limit:>12g}{actual:>12}  {g.describe()}")
        if self.baseline_source is not None:
            out.append(f"baseline: {self.baseline_source}")
            out.append(f"  {'latency':<28}{'baseline':>12}{'now':>12}  result")
            for r in self.regressions:
                out.append(f"  {r.latency + ' ' + r.stat:<28}{r.baseline_ms:>12g}{r.current_ms:>12g}  {r.describe()}")
        if self.no_calls:
            out.append("GATES FAILED: the run placed no call, so no gate can be judged")
        elif self.failed:
            names = [g.gate for g in self.missed] + [f"{r.latency} {r.stat} regression" for r in self.regressed]
            out.append(f"GATES FAILED: {len(names)} missed: " + ", ".join(names))
        else:
            out.append("gates passed")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "failed": self.failed, "baseline": self.baseline_source, "calls": self.calls,
                "gates": [{"gate": g.gate, "limit": g.limit, "actual": g.actual, "unit": g.unit, "passed": g.passed,
                           "missed_by": g.missed_by} for g in self.gates],
                "regressions": [{"latency": r.latency, "stat": r.stat, "baseline_ms": r.baseline_ms,
                                 "current_ms": r.current_ms, "change_pct": round(r.change_pct, 2),
                                 "regressed": r.regressed} for r in self.regressions]}


# -- loading -------------------------------------------------------------------------------------------------
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
    _unknown(source, "", set(data), ("latency", "recovery", "failures", "baseline"))
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


# -- judging -------------------------------------------------------------------------------------------------
def evaluate(report: RunReport, gates: Gates) -> list[GateResult]:
    out: list[GateResult] = []
    for name, limits in gates.latency.items():
        stats = report.latencies.get(name)
        for stat in STATS:
            if stat in limits:
                out.append(GateResult(f"{name} {stat}", limits[stat], stats.value(stat) if stats else None, "ms"))
    if gates.recovery_max_ms is not None:
        rec = report.latencies.get("wmpf_recovery")
        out.append(GateResult("wmpf_recovery max", gates.recovery_max_ms, rec.max_ms if rec else None, "ms"))
    if gates.product_failures is not None:
        out.append(GateResult("product failures", gates.product_failures, report.product_failures, "calls"))
    if gates.lab_errors is not None:
        out.append(GateResult("lab errors", gates.lab_errors, report.lab_errors, "calls"))
    return out


def compare(report: RunReport, baseline: RunReport, policy: BaselinePolicy) -> list[Regression]:
    """Each latency stat of ``policy.stats`` measured in both runs, compared."""
    out: list[Regression] = []
    for name in LATENCIES:
        now, before = report.latencies.get(name), baseline.latencies.get(name)
        if now is None or before is None:
            continue
        for stat in policy.stats:
            out.append(Regression(name, stat, before.value(stat), now.value(stat), policy.tolerance(name),
                                  policy.min_delta_ms))
    return out


def judge(report: RunReport, gates: Gates | None = None, baseline: RunReport | None = None,
          baseline_source: str | None = None) -> Verdict:
    """The run's verdict against ``gates`` and (optionally) a baseline run."""
    results = evaluate(report, gates) if gates is not None else []
    policy = gates.baseline if gates is not None else BaselinePolicy()
    regressions = compare(report, baseline, policy) if baseline is not None else []
    return Verdict(gates.source if gates is not None else "(none)", results, regressions,
                   baseline_source if baseline is not None else None, calls=len(report.calls))
