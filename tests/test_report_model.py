"""The report's data model and renderers on records built through the real model (tests.support.synthetic)."""

from __future__ import annotations

import html
import random
import re
from pathlib import Path

import pytest

from harness.report.html import page_html, summary_html
from harness.report.model import build_report, report_from_records, waterfall
from harness.report.svg import esc, nice_ticks
from harness.results.load import ResultsFileError, load_results
from harness.results.records import CallRecord, Outcome, Stage
from harness.results.writer import ResultsWriter
from tests.support.synthetic import synthetic_record, write_run

NASTY = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def records(n: int, **kwargs) -> list[CallRecord]:
    rng = random.Random(7)
    return [synthetic_record(i, rng=rng, **kwargs) for i in range(1, n + 1)]


def test_percentiles_are_calls_with_their_bounds() -> None:
    recs = records(10)
    report = report_from_records(recs)
    stats = report.latencies["push_to_ring"]
    values = sorted(r.latencies["push_to_ring"].ms for r in recs)
    assert stats.n == 10
    assert stats.percentiles[50].ms == values[4]  # nearest rank: ceil(0.5 * 10) = 5th
    assert stats.percentiles[90].ms == values[8]
    assert stats.percentiles[99].ms == values[9] == stats.max_ms
    owner = next(r for r in recs if r.latencies["push_to_ring"].ms == values[4])
    assert stats.percentiles[50].bound_ms == owner.latencies["push_to_ring"].bound_ms
    assert stats.percentiles[50].call.endswith(f"#{owner.call_index}")


def test_failed_and_lab_error_calls_are_counted_not_measured() -> None:
    rng = random.Random(1)
    recs = [synthetic_record(1, rng=rng), synthetic_record(2, rng=rng, stage=Stage.NO_RING),
            synthetic_record(3, rng=rng, lab_error=True), synthetic_record(4, rng=rng, stage=Stage.NOT_CONNECTED)]
    recs[3].extra["expect_failure"] = "not_connected"
    report = report_from_records(recs)
    assert (len(report.calls), report.passed, report.failed, report.lab_errors) == (4, 1, 2, 1)
    assert report.product_failures == 1 and report.expected_failures == 1
    assert report.stages == {"no_ring": 1}
    assert report.latencies["push_to_ring"].n == 1


def test_waterfall_runs_push_to_end_in_order() -> None:
    rec = records(1)[0]
    steps = waterfall(rec)
    labels = [s.label for s in steps]
    assert labels[0] == "push" and steps[0].at_ms == 0
    assert labels.index("ring") < labels.index("answer") < labels.index("connected") < labels.index("end")
    media = next(s for s in steps if s.name == "media")
    answered = next(s for s in steps if s.name == "answered")
    assert media.at_ms == pytest.approx(answered.at_ms + rec.latencies["answer_to_media"].ms)
    assert [s.at_ms for s in steps] == sorted(s.at_ms for s in steps)


def test_shards_merge_and_duplicates_drop(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", 5, seed=1, worker="gw0")
    b = write_run(tmp_path / "b", 7, seed=2, worker="gw1")
    loaded = load_results([a, tmp_path / "b", a])  # a file and a run directory; a given twice
    assert len(loaded) == 12
    assert {lr.base_dir for lr in loaded} == {a.parent.resolve(), b.parent.resolve()}
    started = [lr.record.started_at for lr in loaded]
    assert started == sorted(started)


def test_unreadable_results_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match="no results file"):
        load_results([tmp_path / "missing"])
    bad = tmp_path / "results.jsonl"
    bad.write_text('{"not": "a record"}\n')
    with pytest.raises(ResultsFileError, match="record 1 is not a call record"):
        load_results([bad])


def test_evidence_paths_resolve_beside_each_shard(tmp_path: Path) -> None:
    path = write_run(tmp_path / "run", 2, failures={2: Stage.ANSWER_FAILED}, screenshots=True)
    report = build_report(load_results([path]))
    ok, failed = report.calls
    assert ok.evidence.ring_screenshot is not None and ok.evidence.ring_screenshot.is_file()
    assert ok.evidence.failure_screenshot is None and not ok.evidence.logcat
    assert failed.evidence.failure_screenshot is not None and failed.evidence.failure_screenshot.is_file()
    assert len(failed.evidence.logcat) == 40


def test_device_strings_are_escaped_and_tokens_redacted(tmp_path: Path) -> None:
    token = "a" * 64
    rec = records(1, model=NASTY)[0]
    rec.error = f"callWMPF failed: pushToken={token} {NASTY}"
    rec.outcome, rec.stage = Outcome.FAILED, Stage.NO_RING
    rec.extra["evidence"] = {"logcat": [f'I/WMPF: {{"pushToken": "{token}"}} {NASTY}']}
    with ResultsWriter.for_run(tmp_path) as writer:
        writer.write(rec)
    report = build_report(load_results([tmp_path]))
    page = page_html(report)
    assert token not in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert html.escape(NASTY, quote=True) in page
    # the only script-capable tags are none at all: the page has no <script> of its own
    assert not re.search(r"<script", page, re.IGNORECASE)
    assert "pushToken=***" in esc(f"pushToken={token}")


def test_summary_has_counts_table_and_two_plots_per_latency() -> None:
    report = report_from_records(records(30))
    out = summary_html(report)
    assert out.count("<svg") == 2 * len(report.latencies)
    assert "30</b> calls" in out and "p90 (ms)" in out


@pytest.mark.parametrize(("lo", "hi"), [(0, 1), (3.2, 987.0), (120, 121), (5, 5), (0, 23)])
def test_ticks_cover_the_data(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and len(ticks) <= 12
