"""The report's field section: push_to_ring and outcome per condition per device model, and the soak.

Built from the records alone (``extra["condition"]`` from ``scenarios/test_field.py``, ``extra["soak"]``
from ``scenarios/test_soak.py``). The HTML is a separate function (:func:`field_html`) appended to the
summary, so the report's templating can take it over as one block.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markupsafe import Markup

from harness.report.render import render, trusted
from harness.report.svg import fmt_ms
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


def condition_plots(rows: list[ConditionRow]) -> list[Markup]:
    """One bar chart of push_to_ring p50 by condition per model (pygal SVG, which escapes its own text)."""
    models = sorted({r.model for r in rows})
    return [trusted(bars_svg([(r.condition, r.p(50), r.passed == r.calls) for r in rows if r.model == model],
                             f"push_to_ring p50 by condition — {model}", unit="ms")) for model in models]


def soak_plots(view: SoakView) -> list[Markup]:
    """Each sampled metric over the soak per process, and the harness's own RSS."""
    plots = []
    packages = sorted({pkg for pkg, _ in view.series if pkg != HARNESS})
    for metric in METRICS:
        lines = {pkg: [(x, y) for x, y, _ in view.series[(pkg, metric)].points]
                 for pkg in packages if (pkg, metric) in view.series}
        if lines:
            plots.append(trusted(lines_svg(lines, f"{METRIC_LABELS[metric]} over the soak", x_title="call")))
    if (HARNESS, "rss_kb") in view.series:
        plots.append(trusted(lines_svg({"harness": [(x, y) for x, y, _ in view.series[(HARNESS, "rss_kb")].points]},
                                       "the harness's own RSS (KiB)", x_title="call")))
    return plots


def field_html(report: RunReport) -> Markup:
    """The field-conditions table and plot, and the soak's table and plots (empty when the run has neither),
    rendered by the report's template environment (values escaped and redacted there)."""
    rows = condition_rows(report)
    view = soak_view(report)
    return render("field.html.j2", rows=rows, condition_plots=condition_plots(rows) if rows else [],
                  soak=view, growth=view.growth() if view else {}, soak_plots=soak_plots(view) if view else [],
                  labels=METRIC_LABELS, fmt=_fmt, facts=_facts)
