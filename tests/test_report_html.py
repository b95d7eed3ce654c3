"""The standalone report (wmpf-hil report) in headless Chromium: no console errors, plots and screenshots visible,
a device name with <script> shown as text; and shards of one run merged into one page."""

from __future__ import annotations

import json
from pathlib import Path

from harness.cli import main
from harness.results.records import Stage
from tests.report_helpers import BOXES_JS, chromium, data_pixels, not_blank  # noqa: F401 - fixture
from tests.support.browser import Chromium
from tests.support.synthetic import write_run

NASTY_MODEL = '<script>alert("owned")</script>Tab'


def test_report_merges_two_shards(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    write_run(tmp_path / "host1", 6, seed=1, worker="gw0", failures={2: Stage.NO_RING})
    write_run(tmp_path / "host2", 4, seed=2, worker="gw1", lab_errors=(3,))
    out = tmp_path / "merged.html"
    assert main(["report", str(tmp_path / "host1" / "results.jsonl"), str(tmp_path / "host2"), "-o", str(out)]) == 0
    assert "10 calls from 2 results file(s): passed 8, failed 1, lab_error 1" in capsys.readouterr().out
    page = out.read_text()
    assert "<b>10</b> calls" in page
    assert "gw0:127.0.0.1:29000#2" in page and "gw1:127.0.0.1:29000#3" in page
    assert page.count('class="wr-call"') == 10


def test_report_opens_in_chromium_with_plots_and_screenshots(tmp_path: Path, chromium: Chromium) -> None:  # noqa: F811
    run = tmp_path / "run"
    write_run(run, 12, failures={4: Stage.NOT_CONNECTED}, screenshots=True, model=NASTY_MODEL)
    out = run / "report.html"
    assert main(["report", str(run), "-o", str(out)]) == 0
    page = chromium.open(out, expression=BOXES_JS)
    assert page.errors == []
    assert page.dialogs == []  # the device name's <script> never ran
    found = json.loads(page.value)
    assert found["scripts"] == 0
    assert '<script>alert("owned")</script>Tab' in found["text"]  # shown as text
    assert len(found["plots"]) >= 2 * 6
    for rect in found["plots"][:4]:  # CDF and histogram of the first latencies: drawn, in the data colour
        assert data_pixels(page, rect) > 300, rect
    # the failed call is open: its ring and failure screenshots are on screen and not blank
    assert len(found["shots"]) == 2
    for rect in found["shots"]:
        assert rect["width"] >= 100 and rect["height"] >= 100
        assert not_blank(page, rect) > 0.5


def test_chromium_check_catches_errors_and_script(tmp_path: Path, chromium: Chromium) -> None:  # noqa: F811
    """The detector itself: a console error, an exception, a missing resource and an alert are all seen."""
    bad = tmp_path / "bad.html"
    bad.write_text('<p>x</p><script>console.error("boom"); alert("ran")</script><img src="missing.png">'
                   "<script>undefinedFunction()</script>")
    page = chromium.open(bad)
    assert page.dialogs == ["ran"]
    joined = "\n".join(page.errors)
    assert "boom" in joined and "undefinedFunction" in joined and "missing.png" in joined
