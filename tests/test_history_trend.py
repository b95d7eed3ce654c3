"""History and trends: finished runs go into the SQLite history, ``wmpf-hil trend`` draws them.

Three real runs on the simulator (at time scale 0.1) are recorded through the plugin's ``--history``; the third
uses a device profile with slower push delivery (fixtures/devices/wmpf-tablet-slow-push.toml) and breaks a
push_to_ring gate. The trend page must draw p50/p90/p99 of every latency the runs measured, per model, and mark
that run. The flaky and lab-error figures are checked on records written directly to the store.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from harness.config.locations import FIXTURES_DIR
from harness.device.adb_server import free_server_port
from harness.report.trend import build_trend, trend_html
from harness.results.history import append_run, read_runs
from harness.results.labels import BUILD_KEY, RunLabels
from harness.results.records import CallRecord, Outcome, Stage
from harness.results.writer import read_results

ROOT = Path(__file__).resolve().parents[1]
ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000"))
MODEL = "WMPF Learning Tablet T10"


def _run(tmp_path: Path, name: str, build: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "scenarios" / "test_answer.py"), "-k", "video or voice",
         "-p", "no:cacheprovider", "-q", "--sim-time-scale", "0.1", "--run-dir", str(tmp_path / "reports" / name),
         "--adb-port", str(free_server_port(ADB_PORT + 400)), "--sim-base-port", str(DEVICE_PORT + 7000),
         "--gates", str(tmp_path / "gates.toml"), "--build", build, *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_trend_over_three_runs_marks_the_slow_push_run(tmp_path: Path) -> None:
    # at time scale 0.1 a normal push rings in about 50 ms; the slow profile's push alone takes about 300 ms
    (tmp_path / "gates.toml").write_text("[latency.push_to_ring]\np50 = 150\n")
    for i in (1, 2):
        ok = _run(tmp_path, f"run{i}", f"build-{i}")
        assert ok.returncode == 0, ok.stdout[-3000:]
    slow_profile = FIXTURES_DIR / "devices" / "wmpf-tablet-slow-push.toml"
    slow = _run(tmp_path, "run3", "build-3", "--sim-profile", str(slow_profile))
    assert slow.returncode == 1 and "GATES FAILED" in slow.stdout, slow.stdout[-3000:]

    history = tmp_path / "reports" / "history.sqlite"  # the default: beside the run directories
    runs = read_runs(history)
    assert [r.build for r in runs] == ["build-1", "build-2", "build-3"]
    assert [r.gate_failed for r in runs] == [False, False, True]
    assert (tmp_path / "reports" / "trend.html").is_file(), "the plugin redraws the trend after each run"
    assert "Trend over recorded runs" in (tmp_path / "reports" / "run3" / "report.html").read_text()

    out = subprocess.run([sys.executable, "-m", "harness.cli", "trend", "--history", str(history),
                          "-o", str(tmp_path / "trend.html")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "trend.html").read_text()
    assert "<script" not in page
    measured = {name for i in (1, 2, 3) for r in read_results(tmp_path / "reports" / f"run{i}" / "results.jsonl")
                for name in r["latencies"]}
    assert {"push_to_ring", "ring_to_answer", "answer_to_connect", "push_to_connect"} <= measured
    for name in measured:  # every latency's percentiles, per model
        start = page.index(f"data-latency='{name}' data-model='{MODEL}'")
        figure = page[start:page.index("</figure>", start)]
        for series in ("p50", "p90", "p99", "broke a gate"):
            assert f">{series}<" in figure, f"{name}: no {series} series"
    trend = build_trend(history)
    assert trend.marked == [2]
    p50 = trend.percentiles[("push_to_ring", MODEL)]["p50"]
    assert p50[2] > 150 > max(p50[0], p50[1])
    assert "⚠ build-3" in page and page.count("broke a gate</span>") == 1


def _record(scenario: str, outcome: Outcome, model: str = "M1", build: str = "b1") -> CallRecord:
    rec = CallRecord(scenario=scenario, serial="S1", model=model, test_id=f"t.py::{scenario}")
    rec.extra[BUILD_KEY] = build
    if outcome is Outcome.FAILED:
        rec.fail(Stage.NO_RING, "no ring")
    elif outcome is Outcome.LAB_ERROR:
        rec.lab_error("adb gone")
    else:
        rec.set_latency("push_to_ring", 100.0, 1.0)
    return rec


def test_flaky_pass_and_lab_error_rates(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    append_run(db, "r1", [_record("a", Outcome.PASSED), _record("b", Outcome.PASSED), _record("c", Outcome.LAB_ERROR),
                          _record("d", Outcome.PASSED, model="M2")], labels=RunLabels(build="b1"))
    append_run(db, "r2", [_record("a", Outcome.FAILED), _record("b", Outcome.PASSED), _record("c", Outcome.PASSED),
                          _record("d", Outcome.FAILED, model="M2", build="b2")], labels=RunLabels(build="b1"))
    append_run(db, "r2", [_record("a", Outcome.FAILED), _record("b", Outcome.PASSED), _record("c", Outcome.PASSED),
                          _record("d", Outcome.FAILED, model="M2", build="b2")], labels=RunLabels(build="b1"))
    runs = read_runs(db)
    assert [r.run_id for r in runs] == ["r1", "r2"], "appending a run twice replaces it"
    assert [r.lab_error_rate for r in runs] == [0.25, 0.0]
    assert runs[0].pass_rate == 1.0 and runs[1].pass_rate == 0.5
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls WHERE run_id='r2'").fetchone()[0] == 4
    trend = build_trend(db)
    # a passed and failed on M1/b1: flaky; c only lab-errored then passed: not flaky; d failed on another build
    assert [(f.scenario, f.model, f.build) for f in trend.flaky] == [("t.py::a", "M1", "b1")]
    assert "t.py::a" in trend_html(trend)
