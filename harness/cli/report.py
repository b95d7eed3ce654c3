"""``wmpf-hil report RESULTS... [-o OUT.html] [--gates TOML] [--baseline RESULTS]``: rebuild the HTML report.

Merges one or more ``results.jsonl`` files (or run directories) — the shards of one run from several xdist
workers or CI hosts — into one standalone, self-contained page with the same summary as the pytest-html report,
plus every call's waterfall and evidence. With ``--gates``/``--baseline`` it judges the merged run like
``pytest --gates`` does and prints the table. An INCOMPLETE run (interrupted, cut short, calls lost) says so
at the top of the page and fails its gates. Runs of different kinds (simulated/hardware) or time scales are not
merged or compared unless ``--allow-mixed-runs``. Exit status: 0 report written (and gates passed), 1 a gate
missed or a regression, 2 unreadable input, an invalid gates file or mixed runs, 3 the gates failed only
because the run is INCOMPLETE (the lab cut it short).

``--merge-into DIR`` makes one run of the shards of a farm run (one run directory per CI host): results with the
shard and host on every record, JUnit merged, evidence and pcaps copied beside it, pytest-split durations and the
shards' ``run.json`` merged (:mod:`harness.results.merge`), then the report of that run in ``DIR/report.html``;
with ``--history`` the merged run is appended to the history store. Shards of unlike runs are refused as above.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness.config.gates import load_gates
from harness.errors import ConfigError
from harness.report.html import page_html
from harness.report.model import build_report
from harness.report.trend import TREND_FILE, write_trend
from harness.report.verdict import judge
from harness.results.history import HistoryError, append_run
from harness.results.labels import RunLabels
from harness.results.load import MixedRunsError, ResultsFileError, load_results, require_same_kind, run_kinds
from harness.results.merge import merge_runs, summary_lines


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="rebuild the HTML report from results.jsonl files (merging shards)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="+", metavar="RESULTS", help="results.jsonl files or run directories")
    p.add_argument("-o", "--output", default=None, metavar="OUT.html",
                   help="where to write the page (default: report.html beside the first results file)")
    p.add_argument("--title", default=None, help="page title (default: the run directories' names)")
    p.add_argument("--gates", default=None, metavar="TOML", help="judge the merged run against a gates file")
    p.add_argument("--baseline", action="append", default=[], metavar="RESULTS",
                   help="an earlier run's results (repeatable for shards) to flag regressions against")
    p.add_argument("--merge-into", default=None, metavar="DIR",
                   help="merge the shards (run directories) into one run directory DIR and report on it")
    p.add_argument("--allow-mixed-runs", action="store_true",
                   help="merge or compare runs of different kinds (simulated/hardware) or time scales anyway")
    p.add_argument("--history", default=None, metavar="PATH",
                   help="append the merged run to this history database (see wmpf-hil trend)")
    p.add_argument("--build", default=None, metavar="LABEL", help="the merged run's build label in the history")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    merged = None
    try:
        gates = load_gates(args.gates) if args.gates else None
        if args.merge_into:
            merged = merge_runs(args.results, args.merge_into, allow_mixed=args.allow_mixed_runs)
            for line in summary_lines(merged):
                print(line)
            args.results = [str(merged.run_dir)]
        loaded = load_results(args.results)
        kinds = run_kinds(loaded)
        if len(kinds) > 1 and not args.allow_mixed_runs:
            raise MixedRunsError(f"the results mix {' and '.join(kinds)}: latencies of a simulated run scale with "
                                 f"its time scale and differ from hardware, so they are not merged (pass "
                                 f"--allow-mixed-runs to do it anyway)")
        baseline = None
        if args.baseline:
            before = load_results(args.baseline)
            if not args.allow_mixed_runs:
                require_same_kind(kinds, run_kinds(before), f"--baseline {', '.join(args.baseline)} is")
            baseline = build_report(before, title="baseline")
    except (ResultsFileError, ConfigError) as exc:
        print(f"wmpf-hil report: {exc}", file=sys.stderr)
        return 2
    first = Path(args.results[0])
    out = Path(args.output) if args.output else (first if first.is_dir() else first.parent) / "report.html"
    dirs = sorted({lr.base_dir.name for lr in loaded}) or [first.name]
    title = args.title or f"wmpf-hil run {', '.join(dirs)}"
    report = build_report(loaded, title=title, sources=[str(p) for p in args.results])
    verdict = None
    if gates is not None or baseline is not None:
        verdict = judge(report, gates, baseline, ", ".join(args.baseline) if baseline is not None else None)
    trend_href = None
    if merged is not None and args.history:
        labels = RunLabels.read(merged.run_dir) or RunLabels()
        labels.build = args.build or labels.build
        try:
            append_run(args.history, merged.run_dir.name, [lr.record for lr in loaded], labels=labels,
                       gate_failed=None if verdict is None else verdict.failed,
                       gate_summary=verdict.lines()[-1] if verdict is not None else "", source=str(merged.run_dir))
            trend = write_trend(args.history, Path(args.history).parent / TREND_FILE)
            trend_href = Path(os.path.relpath(trend.resolve(), out.resolve().parent)).as_posix()
        except (HistoryError, OSError) as exc:
            print(f"wmpf-hil report: history not recorded: {exc}", file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page_html(report, verdict, out_path=out.resolve(), trend_href=trend_href), encoding="utf-8")
    print(f"{len(report.calls)} calls from {len(args.results)} results file(s): passed {report.passed}, "
          f"failed {report.product_failures}, lab_error {report.lab_errors} -> {out}")
    if verdict is not None:
        for line in verdict.lines():
            print(line)
        if verdict.failed:
            return 3 if verdict.lab_only else 1
        return 0
    for line in (["INCOMPLETE: " + "; ".join(report.incomplete)] if report.incomplete else []):
        print(line, file=sys.stderr)
    return 0
