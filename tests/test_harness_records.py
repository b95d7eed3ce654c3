"""Call records and the results stream: fsynced per record, redacted, readable after a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.redact import redact, redact_text
from harness.results import writer as results_writer
from harness.results.records import CallRecord, EventStamp, Outcome, Stage
from harness.results.writer import ResultsWriter, prepare_run_dir, read_results


def record(**kw) -> CallRecord:
    rec = CallRecord(scenario="video_tap", serial="127.0.0.1:27000", model="T10", room_id="r1", **kw)
    rec.set_latency("push_to_ring", 512.25, 0.4)
    rec.add_event(EventStamp("ring_shown", 1.0e12, 1.0e12 - 5, 0.2))
    return rec


def test_record_round_trip_and_outcomes() -> None:
    rec = record()
    rec.fail(Stage.NO_RING, "no ring within 20 s")
    rec.fail(Stage.DROPPED, "later failure does not override the first")
    data = rec.to_dict()
    assert (data["outcome"], data["stage"]) == ("failed", "no_ring")
    assert data["latencies"]["push_to_ring"] == {"ms": 512.25, "bound_ms": 0.4}
    assert data["latencies_ms"] == {"push_to_ring": 512.25}
    back = CallRecord.from_dict(json.loads(json.dumps(data)))
    assert back.stage is Stage.NO_RING and back.latencies["push_to_ring"].ms == 512.25
    rec.lab_error("device offline")
    assert (rec.outcome, rec.stage) == (Outcome.LAB_ERROR, None)
    with pytest.raises(ValueError, match="unknown latency"):
        rec.set_latency("push_to_dance", 1, 0)


def test_writer_fsyncs_every_record_and_redacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(results_writer.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    with ResultsWriter.for_run(tmp_path) as writer:
        rec = record()
        rec.extra["request"] = {"pushToken": "tok-SECRET", "nickName": "张三"}
        rec.error = 'callWMPF failed: {"pushToken":"tok-SECRET2"}'
        writer.write(rec)
        writer.write({"scenario": "x", "serial": "s", "url": "/callWMPF?pushToken=tok-SECRET3&a=1"})
        assert len(synced) == 2
    text = (tmp_path / "results.jsonl").read_text(encoding="utf-8")
    assert "SECRET" not in text and "张三" in text
    rows = list(read_results(tmp_path / "results.jsonl"))
    assert rows[0]["extra"]["request"]["pushToken"] == "***" and len(rows) == 2


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"a": 1}\n{"a": 2', encoding="utf-8")
    assert list(read_results(path)) == [{"a": 1}]


def test_latest_points_at_the_newest_run(tmp_path: Path) -> None:
    first = prepare_run_dir(tmp_path, "run1")
    second = prepare_run_dir(tmp_path, "run2")
    assert first.is_dir() and second.is_dir()
    assert os.readlink(tmp_path / "latest") == "run2"


def test_redaction_shapes() -> None:
    assert redact_text("am broadcast --es pushToken 'a b'") == "am broadcast --es pushToken '***'"
    assert redact_text('{"push_token": "x\\"y", "ok": 1}') == '{"push_token": "***", "ok": 1}'
    assert redact({"a": [{"AccessToken": "z"}], "b": None}) == {"a": [{"AccessToken": "***"}], "b": None}
