"""The report's one jinja2 environment: every value redacted then escaped, only our own SVG trusted, typos loud."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from markupsafe import Markup

from harness.report.html import call_html, page_html, summary_html
from harness.report.model import report_from_records
from harness.report.render import environment, macro, render, trusted
from harness.results.records import Outcome, Stage
from tests.support.synthetic import synthetic_record

TOKEN = "b" * 48
SCRIPT = '<script>alert("owned")</script>'


def nasty_report(tmp_path: Path):  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    ok = synthetic_record(1, rng=rng, model=f"{SCRIPT}Tab")
    bad = synthetic_record(2, rng=rng, model=f"{SCRIPT}Tab", stage=Stage.NO_RING, run_dir=tmp_path)
    bad.error = f"no ring; pushToken={TOKEN} {SCRIPT}"
    bad.extra["evidence"] = {"logcat": [f'I/WMPF: onPush {{"pushToken": "{TOKEN}"}} {SCRIPT}', "<b>bold</b>"],
                             "notes": [f"<img src=x onerror=alert(1)> voipToken={TOKEN}"]}
    bad.extra["capture"] = {"mode": "device", "available": False, "reason": "no_root", "message": SCRIPT}
    bad.extra["media"] = {"verdict": "none", "reason": SCRIPT, "sent": {"codec<i>": SCRIPT, "nested": {"a": 1}}}
    bad.extra["device"] = {"manufacturer": SCRIPT}
    assert bad.outcome is Outcome.FAILED
    return report_from_records([ok, bad], tmp_path, title=f"run {SCRIPT}", sources=[f"{SCRIPT}.jsonl"])


def test_device_name_log_line_and_notes_render_escaped_and_redacted(tmp_path: Path) -> None:
    page = page_html(nasty_report(tmp_path))
    assert not re.search(r"<script|<img|<b>bold|<i>", page, re.IGNORECASE)
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;Tab" in page  # the model, shown as text
    assert "I/WMPF: onPush {&#34;pushToken&#34;: &#34;***&#34;} &lt;script&gt;" in page  # the log line
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "voipToken=***" in page and "pushToken=***" in page
    assert TOKEN not in page
    assert page.count("<svg") >= 1  # trusted SVG still goes in as markup


def test_fragments_for_pytest_html_come_from_the_same_environment(tmp_path: Path) -> None:
    report = nasty_report(tmp_path)
    for fragment in (summary_html(report), call_html(report.calls[1], images=False)):
        assert isinstance(fragment, Markup)
        assert "<script" not in fragment and TOKEN not in fragment
    cell = macro("cells.html.j2", "cell")("wmpfRoom", f"{SCRIPT} pushToken={TOKEN}")
    assert cell == '<td class="col-wmpfRoom">&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt; pushToken=***</td>'


def test_only_trusted_markup_passes_unescaped() -> None:
    env = environment()
    template = env.from_string("{{ raw }}|{{ svg }}")  # strings from code: autoescape on as for *.html.j2
    out = template.render(raw="<svg>pushToken=x </svg>", svg=trusted("<svg><text>ok</text></svg>"))
    assert out == "&lt;svg&gt;pushToken=*** &lt;/svg&gt;|<svg><text>ok</text></svg>"


def test_a_misspelt_name_in_a_template_is_an_error_not_an_empty_cell() -> None:
    with pytest.raises(UndefinedError):
        environment().from_string("{{ report.nope }}").render(report=object())
    with pytest.raises(UndefinedError):
        render("call.html.j2")


def test_trend_page_renders_a_hostile_model_and_gate_summary_as_text(tmp_path: Path) -> None:
    from harness.report.trend import build_trend, trend_html
    from harness.results.history import append_run
    from harness.results.labels import RunLabels

    rec = synthetic_record(1, rng=random.Random(5), model=f"{SCRIPT}Tab")
    db = tmp_path / "h.sqlite"
    append_run(db, "r1", [rec], labels=RunLabels(build="b1"), gate_failed=True,
               gate_summary=f"{SCRIPT} pushToken={TOKEN}")
    page = trend_html(build_trend(db))
    assert "<script" not in page and TOKEN not in page
    assert "data-model='&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;Tab'" in page
    assert "broke a gate</span> &lt;script&gt;" in page
