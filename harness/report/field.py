"""The report's field section: push_to_ring and outcome per condition per device model, and the soak.

Built from the records alone (``extra["condition"]`` from ``scenarios/test_field.py``, ``extra["soak"]``
from ``scenarios/test_soak.py``). The HTML is a separate function (:func:`field_html`) appended to the
summary, so the report's templating can take it over as one block.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.report.svg import esc, fmt_ms
from harness.report.svg_lines import bars_svg, lines_svg
from harness.results.soak import HARNESS, METRICS, Series, soak_calls, soak_series
from harness.results.stats import percentile

if TYPE_CHECKING:
    from harness.report.model import RunReport

CONDITION_KEY = "condition"
METRIC_LABELS = {"pss_kb": "PSS (KiB, dumpsys meminfo)", "rss_kb": "VmRSS (KiB)", "threads": "threads",
                 "fd_size": "fd table (FDSize)"}


@dataclass
class ConditionRow:
    condition: str
    model: str
    calls: int = 0
    passed: int = 0
    push_to_ring_ms: list[float] = field(default_factory=list)
    stages: Counter[str] = field(default_factory=Counter)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        if self.passed == self.calls:
            return "passed"
        lost = ", ".join(f"{stage} {n}" for stage, n in sorted(self.stages.items()))
        return f"{self.calls - self.passed}/{self.calls} failed ({lost})" if lost else "failed"

    def p(self, q: float) -> float | None:
        return percentile(sorted(self.push_to_ring_ms), q) if self.push_to_ring_ms else None


def condition_rows(report: RunReport) -> list[ConditionRow]:
    rows: dict[tuple[str, str], ConditionRow] = {}
    for view in report.calls:
        r = view.record
        name = r.extra.get(CONDITION_KEY)
        if not isinstance(name, str):
            continue
        row = rows.setdefault((name, r.model or "?"), ConditionRow(name, r.model or "?"))
        row.calls += 1
        if r.outcome.value == "passed":
            row.passed += 1
        elif r.stage is not None:
            row.stages[r.stage.value] += 1
        else:
            row.stages[r.outcome.value] += 1
        if "push_to_ring" in r.latencies:
            row.push_to_ring_ms.append(r.latencies["push_to_ring"].ms)
        facts = r.extra.get("condition_facts")
        if isinstance(facts, dict):
            row.facts.update(facts)
    return sorted(rows.values(), key=lambda row: (row.model, row.condition))


@dataclass
class SoakView:
    calls: int
    series: dict[tuple[str, str], Series]

    def growth(self) -> dict[tuple[str, str], float | None]:
        return {key: s.growth_per_100() for key, s in self.series.items()}


def soak_view(report: RunReport) -> SoakView | None:
    dicts = [{"extra": v.record.extra} for v in report.calls]
    calls = soak_calls(dicts)
    if not calls:
        return None
    return SoakView(calls, soak_series(dicts))


def _fmt(value: float | None) -> str:
    return "—" if value is None else fmt_ms(value)


def _facts(facts: dict[str, object]) -> str:
    """What the condition measured while set up (e.g. boot_completed_to_ring_ms), one short line."""
    return ", ".join(f"{k}={v}" for k, v in facts.items() if k != "deviceidle" and not isinstance(v, (list, dict)))


def conditions_html(rows: list[ConditionRow]) -> str:
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{esc(r.model)}</td><td>{esc(r.condition)}</td><td class='num'>{r.calls}</td>"
        f"<td class='num'>{_fmt(r.p(50))}</td><td class='num'>{_fmt(r.p(100))}</td>"
        f"<td class='{'passed' if r.passed == r.calls else 'failed'}'>{esc(r.outcome)}</td>"
        f"<td>{esc(_facts(r.facts))}</td></tr>" for r in rows)
    models = sorted({r.model for r in rows})
    plots = "".join(bars_svg([(r.condition, r.p(50), r.passed == r.calls) for r in rows if r.model == model],
                             f"push_to_ring p50 by condition — {model}", unit="ms") for model in models)
    return ("<h3>Field conditions</h3><table class='wr-conditions'><tr><th>model</th><th>condition</th>"
            "<th>calls</th><th>push_to_ring p50 (ms)</th><th>max (ms)</th><th>outcome</th><th>measured</th></tr>"
            f"{body}</table><div class='wr-plots'>{plots}</div>")


def soak_html(view: SoakView | None) -> str:
    if view is None:
        return ""
    growth = view.growth()
    rows = "".join(
        f"<tr><td>{esc(pkg)}</td><td>{esc(METRIC_LABELS.get(metric, metric))}</td>"
        f"<td class='num'>{len(s.points)}</td><td class='num'>{s.points[0][1]:g}</td>"
        f"<td class='num'>{s.points[-1][1]:g}</td>"
        f"<td class='num'>{'—' if growth[(pkg, metric)] is None else f'{growth[(pkg, metric)]:.1f}'}</td></tr>"
        for (pkg, metric), s in sorted(view.series.items()) if s.points)
    plots = []
    packages = sorted({pkg for pkg, _ in view.series if pkg != HARNESS})
    for metric in METRICS:
        lines = {pkg: [(x, y) for x, y, _ in view.series[(pkg, metric)].points]
                 for pkg in packages if (pkg, metric) in view.series}
        if lines:
            plots.append(lines_svg(lines, f"{METRIC_LABELS[metric]} over the soak", x_title="call"))
    if (HARNESS, "rss_kb") in view.series:
        plots.append(lines_svg({"harness": [(x, y) for x, y, _ in view.series[(HARNESS, "rss_kb")].points]},
                               "the harness's own RSS (KiB)", x_title="call"))
    return (f"<h3>Soak ({view.calls} calls)</h3><table class='wr-soak'><tr><th>process</th><th>metric</th>"
            "<th>samples</th><th>first</th><th>last</th><th>growth per 100 calls</th></tr>"
            f"{rows}</table><div class='wr-plots'>{''.join(plots)}</div>")


def field_html(report: RunReport) -> str:
    """The field-conditions table and plot, and the soak's table and plots ("" when the run has neither)."""
    return conditions_html(condition_rows(report)) + soak_html(soak_view(report))
