"""Judging a run against its release gates and a baseline run: the verdict the report and the exit status show.

The gates file is read by :mod:`harness.config.gates`; here its limits meet the run's figures
(:class:`~harness.report.model.RunReport`), so configuration and judgement stay in their own layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.config.gates import STATS, BaselinePolicy, Gates
from harness.report.field import soak_view
from harness.report.model import RunReport
from harness.results.records import LATENCIES
from harness.results.soak import HARNESS


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
    incomplete: list[str] = field(default_factory=list)  # an INCOMPLETE run fails its gates, whatever its figures

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
        return bool(self.missed or self.regressed or self.no_calls or self.incomplete)

    @property
    def lab_only(self) -> bool:
        """Failed only because the lab cut the run short (exit status 3 in the CLI, not 1)."""
        return bool(self.incomplete) and not (self.missed or self.regressed)

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
        if self.incomplete:
            out.append("GATES FAILED: the run is INCOMPLETE: " + "; ".join(self.incomplete))
        elif self.no_calls:
            out.append("GATES FAILED: the run placed no call, so no gate can be judged")
        elif self.failed:
            names = [g.gate for g in self.missed] + [f"{r.latency} {r.stat} regression" for r in self.regressed]
            out.append(f"GATES FAILED: {len(names)} missed: " + ", ".join(names))
        else:
            out.append("gates passed")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "failed": self.failed, "baseline": self.baseline_source, "calls": self.calls,
                "incomplete": list(self.incomplete),
                "gates": [{"gate": g.gate, "limit": g.limit, "actual": g.actual, "unit": g.unit, "passed": g.passed,
                           "missed_by": g.missed_by} for g in self.gates],
                "regressions": [{"latency": r.latency, "stat": r.stat, "baseline_ms": r.baseline_ms,
                                 "current_ms": r.current_ms, "change_pct": round(r.change_pct, 2),
                                 "regressed": r.regressed} for r in self.regressions]}


# -- loading -------------------------------------------------------------------------------------------------


# -- judging -------------------------------------------------------------------------------------------------
def evaluate(report: RunReport, gates: Gates) -> list[GateResult]:
    out: list[GateResult] = []
    for name, limits in gates.latency_limits().items():
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
    out += _soak_gates(report, gates)
    return out


def _soak_gates(report: RunReport, gates: Gates) -> list[GateResult]:
    """Growth per hundred calls of each sampled device process (the harness's own series is a benchmark's)."""
    view = soak_view(report) if gates.soak else None
    if view is None:
        return []
    growth = view.growth()
    return [GateResult(f"soak {package} {metric} growth/100 calls", limit, growth[(package, metric)],
                       f"{metric.removesuffix('_kb')}{' KiB' if metric.endswith('_kb') else ''}")
            for metric, limit in gates.soak.items()
            for package, series_metric in sorted(growth) if series_metric == metric and package != HARNESS]


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
                   baseline_source if baseline is not None else None, calls=len(report.calls),
                   incomplete=list(report.incomplete))
