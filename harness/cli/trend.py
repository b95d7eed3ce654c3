"""``wmpf-hil trend [--history PATH] [-o trend.html] [--last N]``: latency percentiles per model over runs.

Reads the history store every finished run is appended to (``pytest --history``, default
``reports/history.sqlite``; ``wmpf-hil report --merge-into`` appends a merged farm run) and writes one
self-contained page: p50/p90/p99 per latency and model over the runs, pass and lab-error rates, flaky scenarios,
and the runs that broke a gate marked. Exit status: 0 written, 2 no history there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.report.trend import build_trend, trend_html
from harness.results.history import HISTORY_FILE, HistoryError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trend", help="draw latency percentiles, pass rates and flaky scenarios over recorded runs",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--history", default=f"reports/{HISTORY_FILE}", metavar="PATH",
                   help=f"the history database (default reports/{HISTORY_FILE})")
    p.add_argument("-o", "--output", default=None, metavar="OUT.html",
                   help="where to write the page (default trend.html beside the history)")
    p.add_argument("--last", type=int, default=None, metavar="N", help="only the last N runs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        trend = build_trend(args.history, last=args.last)
    except HistoryError as exc:
        print(f"wmpf-hil trend: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output) if args.output else Path(args.history).parent / "trend.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(trend_html(trend), encoding="utf-8")
    print(f"{len(trend.runs)} runs, {len(trend.percentiles)} latency/model charts, {len(trend.marked)} run(s) broke "
          f"a gate, {len(trend.flaky)} flaky scenario(s) -> {out}")
    return 0
