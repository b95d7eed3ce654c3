"""``trend.html``: how a lab's runs move over builds, from the history store (:mod:`harness.results.history`).

Per latency and device model, the nearest-rank p50/p90/p99 of each run's passed calls over the runs (did
push_to_ring p99 on model X creep up over the last twenty builds?); per run, the pass rate and the lab-error rate;
the flaky scenarios (passed and failed, as product failures, for the same model and build); and every run that
broke a gate marked in the runs table and on every chart. One self-contained page like the run report, rendered
through the report's template environment (``templates/trend.html.j2``): static SVG from pygal
(:func:`harness.report.svg.trend_svg`), no script, opens offline.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from harness.report.render import render, trusted
from harness.report.svg import trend_svg
from harness.results.history import CallRow, RunRow, read_calls, read_runs
from harness.results.records import LATENCIES
from harness.results.stats import PERCENTILES, percentile


@dataclass
class Flaky:
    scenario: str
    model: str
    build: str
    passed: int
    failed: int
    runs: list[str]


@dataclass
class Trend:
    source: str
    runs: list[RunRow]
    # (latency, model) -> {"p50": [per run value or None], ...}
    percentiles: dict[tuple[str, str], dict[str, list[float | None]]] = field(default_factory=dict)
    flaky: list[Flaky] = field(default_factory=list)

    @property
    def marked(self) -> list[int]:
        """Indexes of the runs that broke a gate."""
        return [i for i, run in enumerate(self.runs) if run.gate_failed]

    def run_label(self, index: int) -> str:
        run = self.runs[index]
        when = time.strftime("%m-%d %H:%M", time.gmtime(run.started_at or run.recorded_at))
        return f"{'⚠ ' if run.gate_failed else ''}{run.build or run.run_id[:16]} {when}"


def _judged(call: CallRow) -> bool:
    return not call.expected_failure


def flaky_scenarios(calls: list[CallRow]) -> list[Flaky]:
    """Scenarios that both passed and failed (a product failure, not a lab error) on one model and build."""
    groups: dict[tuple[str, str, str], list[CallRow]] = defaultdict(list)
    for call in calls:
        if _judged(call):
            groups[(call.test_id or call.scenario, call.model, call.build)].append(call)
    out = []
    for (scenario, model, build), rows in sorted(groups.items()):
        passed = sum(1 for r in rows if r.outcome == "passed")
        failed = sum(1 for r in rows if r.outcome == "failed")
        if passed and failed:
            out.append(Flaky(scenario, model, build, passed, failed, sorted({r.run_id for r in rows})))
    return out


def build_trend(history: str | Path, *, last: int | None = None) -> Trend:
    runs = read_runs(history, last=last)
    calls = read_calls(history, [r.run_id for r in runs])
    index = {run.run_id: i for i, run in enumerate(runs)}
    samples: dict[tuple[str, str], list[list[float]]] = defaultdict(lambda: [[] for _ in runs])
    for call in calls:
        if call.outcome != "passed":
            continue
        for name, ms in call.latencies.items():
            samples[(name, call.model)][index[call.run_id]].append(float(ms))
    trend = Trend(str(history), runs, flaky=flaky_scenarios(calls))
    order = {name: i for i, name in enumerate(LATENCIES)}
    for key in sorted(samples, key=lambda k: (order.get(k[0], len(order)), k[0], k[1])):
        per_run = [sorted(values) for values in samples[key]]
        trend.percentiles[key] = {f"p{p}": [percentile(v, p) if v else None for v in per_run] for p in PERCENTILES}
    return trend


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def trend_html(trend: Trend) -> str:
    """The page, rendered by the report's one environment (values redacted and escaped; the charts trusted SVG)."""
    labels = [trend.run_label(i) for i in range(len(trend.runs))]
    rates = trend_svg(labels, {"pass rate": [r.pass_rate for r in trend.runs],
                               "lab-error rate": [r.lab_error_rate for r in trend.runs]},
                      "pass rate and lab-error rate", y_title="share of calls", marked=trend.marked, percent=True)
    rows = [(run, labels[i],
             f" ×{run.time_scale:g}" if run.time_scale is not None and run.kind != "hardware" else "",
             _rate(run.pass_rate), _rate(run.lab_error_rate)) for i, run in enumerate(trend.runs)]
    charts = [(name, model, trusted(trend_svg(labels, series, f"{name} on {model}", marked=trend.marked)))
              for (name, model), series in trend.percentiles.items()]
    return str(render("trend.html.j2", trend=trend, rows=rows, rates=trusted(rates), charts=charts))


TREND_FILE = "trend.html"  # drawn beside the history store, by the plugin and by `wmpf-hil report --history`


def write_trend(history: str | Path, out: str | Path, *, last: int | None = None) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(trend_html(build_trend(history, last=last)), encoding="utf-8")
    tmp.replace(out)
    return out
