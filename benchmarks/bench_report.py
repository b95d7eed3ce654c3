"""Report size and render time for a 500-call run, and how long headless Chromium takes to show it.

500 synthetic calls built through the real record model (tests.support.synthetic): every call with a ring
screenshot (720x1280 PNG on disk, a 360 px thumbnail in the report), 2 % failed with a failure screenshot and 40
logcat lines, 1 % lab errors. Measured:

* the model: reading results.jsonl and building the RunReport;
* the standalone page (``wmpf-hil report``): render time and size;
* the pytest-html report of a child pytest run of 500 tests, each carrying its call record (summary, columns,
  per-test waterfall/screenshot extras through harness.pytest_plugin.report): pytest wall time and size;
* Chromium: navigate -> load event, and -> screenshot taken, for both pages (median of 3).

Results: benchmarks/results/report.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import save

from harness.report.html import page_html, summary_html
from harness.report.model import build_report
from harness.results.load import load_results
from harness.results.records import Stage
from tests.support.browser import Chromium, find_chromium
from tests.support.synthetic import write_run

CALLS = 500
INNER_TESTS = """
import json
from pathlib import Path
import pytest

RECORDS = [json.loads(line) for line in (Path(__file__).parent / "run" / "results.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("index", range(len(RECORDS)))
def test_call(index, request):
    request.node.wmpf_call_records = [RECORDS[index]]
"""


def timed(fn, repeat: int = 3) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def chromium_times(browser: Chromium, path: Path, query: str = "") -> dict[str, float]:
    loads, settles, errors = [], [], 0
    for _ in range(3):
        page = browser.open(path, query=query, settle_s=0.0)
        loads.append(page.load_s)
        settles.append(page.settle_s)
        errors += len(page.errors)
    return {"load_event_s": round(statistics.median(loads), 3), "screenshot_s": round(statistics.median(settles), 3),
            "console_errors": errors}


def main() -> None:
    figures: dict[str, object] = {"calls": CALLS}
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        root = Path(tmp)
        run = root / "run"
        failures = {i: Stage.NOT_CONNECTED for i in range(7, CALLS + 1, 50)}
        start = time.perf_counter()
        results = write_run(run, CALLS, failures=failures, lab_errors=tuple(range(13, CALLS + 1, 100)),
                            screenshots=True)
        figures["synthetic_run_s"] = round(time.perf_counter() - start, 2)
        figures["results_jsonl_kib"] = round(results.stat().st_size / 1024, 1)
        figures["evidence_on_disk_mib"] = round(sum(p.stat().st_size for p in (run / "evidence").rglob("*.png"))
                                                / 2**20, 1)

        model_s, report = timed(lambda: build_report(load_results([results])))
        figures["model_build_s"] = round(model_s, 3)
        summary_s, summary = timed(lambda: summary_html(report))  # type: ignore[arg-type]
        figures["summary_render_s"] = round(summary_s, 3)
        figures["summary_kib"] = round(len(summary.encode()) / 1024, 1)  # type: ignore[union-attr]
        out = run / "standalone.html"
        page_s, page = timed(lambda: page_html(report, out_path=out), repeat=1)  # type: ignore[arg-type]
        out.write_text(page, encoding="utf-8")  # type: ignore[arg-type]
        figures["standalone_render_s"] = round(page_s, 2)
        figures["standalone_mib"] = round(out.stat().st_size / 2**20, 2)

        (root / "test_calls.py").write_text(INNER_TESTS)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_calls.py",
                               "--run-dir", "run", "--html", "pytest-report.html", "--self-contained-html"],
                              cwd=root, capture_output=True, text=True, timeout=600)
        figures["pytest_html_run_s"] = round(time.perf_counter() - start, 2)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:])
            raise SystemExit("the child pytest run failed")
        html = root / "pytest-report.html"
        figures["pytest_html_mib"] = round(html.stat().st_size / 2**20, 2)

        if find_chromium() is not None:
            with Chromium(timeout_s=180) as browser:
                figures["chromium_standalone"] = chromium_times(browser, out)
                figures["chromium_pytest_html"] = chromium_times(browser, html)
                figures["chromium_pytest_html_expanded"] = chromium_times(browser, html, "?collapsed=")
        else:
            figures["chromium"] = "not installed"
    save("report", figures)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
