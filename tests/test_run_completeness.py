"""Run completeness, kinds of run and exit codes: a lost call is a lab_error record, an incomplete run fails its
gates saying why, runs of different kinds or time scales are not compared, a nonexistent serial is one line."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from harness.cli import main
from harness.config.gates import DEFAULT_GATES
from harness.device.adb_server import AdbServer
from harness.report.model import report_from_records
from harness.results.records import CallRecord, Outcome, Stage
from harness.results.writer import ResultsWriter, read_results
from tests.support.synthetic import synthetic_record


def write_kind_run(run_dir: Path, calls: int, *, lab: str = "simulated", time_scale: float = 1.0,
                   lost_at: str | None = None) -> Path:
    """A run of synthetic calls of one kind; ``lost_at``: one more call that started, reached that step and
    never wrote its record (its process was killed)."""
    rng = random.Random(3)
    run_dir.mkdir(parents=True, exist_ok=True)
    with ResultsWriter.for_run(run_dir) as writer:
        for index in range(1, calls + 1):
            record = synthetic_record(index, rng=rng, serial="R58M21ABCDE" if lab == "hardware" else
                                      "127.0.0.1:29000")
            record.lab, record.time_scale = lab, time_scale
            writer.mark(record)
            writer.write(record)
        if lost_at is not None:
            lost = CallRecord(scenario="test_cut_short", serial="127.0.0.1:29000", call_index=calls + 1,
                              lab=lab, time_scale=time_scale, room_id="wxf830863afde621ebWmpfVoip9")
            writer.mark(lost)
            lost.reached = lost_at
            writer.mark(lost)
    return run_dir


def test_a_started_call_without_a_record_is_a_lost_lab_error(tmp_path: Path) -> None:
    run = write_kind_run(tmp_path / "run", 3, lost_at="ringing")
    rows = list(read_results(run / "results.jsonl"))
    assert len(rows) == 4
    lost = rows[-1]
    assert (lost["outcome"], lost["reached"], lost["room_id"]) == ("lab_error", "ringing",
                                                                   "wxf830863afde621ebWmpfVoip9")
    assert lost["extra"]["lost"] and "never written" in lost["error"]


def test_clean_up_trouble_is_added_to_the_written_record(tmp_path: Path) -> None:
    record = synthetic_record(1, rng=random.Random(1), stage=Stage.NO_RING)
    with ResultsWriter.for_run(tmp_path) as writer:
        writer.mark(record)
        writer.write(record)
        writer.amend(record, {"cleanup_error": "LabError: the phone API went away"})
    rows = list(read_results(tmp_path / "results.jsonl"))
    assert len(rows) == 1
    assert rows[0]["outcome"] == "failed" and rows[0]["stage"] == "no_ring"  # the record, not replaced
    assert rows[0]["extra"]["cleanup_error"] == "LabError: the phone API went away"


def test_gates_on_a_run_with_a_lost_call_fail_and_say_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    run = write_kind_run(tmp_path / "run", 6, lost_at="connected")
    code = main(["report", str(run), "--gates", str(DEFAULT_GATES), "-o", str(tmp_path / "r.html")])
    out = capsys.readouterr().out
    assert code == 3, out  # a lab error: the run was cut short, the product's gates could not be judged
    assert "GATES FAILED: the run is INCOMPLETE: 1 call(s) started without a record" in out
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "INCOMPLETE" in html.split("Latencies")[0]  # at the top of the report
    complete = write_kind_run(tmp_path / "ok", 6)
    assert main(["report", str(complete), "--gates", str(DEFAULT_GATES), "-o", str(tmp_path / "ok.html")]) == 0


def test_an_interrupted_run_manifest_fails_the_gates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_kind_run(tmp_path / "run", 4)
    (run / "run.json").write_text(json.dumps({"status": "incomplete", "reasons": ["interrupted (SIGINT or "
                                                                                  "SIGTERM): 4 of 43 scenarios ran"]}))
    assert main(["report", str(run), "--gates", str(DEFAULT_GATES), "-o", str(tmp_path / "r.html")]) == 3
    assert "4 of 43 scenarios ran" in capsys.readouterr().out
    (run / "run.json").write_text(json.dumps({"status": "running"}))  # the harness itself was killed
    assert main(["report", str(run), "--gates", str(DEFAULT_GATES), "-o", str(tmp_path / "r.html")]) == 3
    assert "never finished" in capsys.readouterr().out


def test_report_refuses_a_baseline_of_another_time_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fast = write_kind_run(tmp_path / "fast", 5, time_scale=0.1)
    real = write_kind_run(tmp_path / "real", 5, time_scale=1.0)
    hw = write_kind_run(tmp_path / "hw", 5, lab="hardware")
    assert main(["report", str(real), "--baseline", str(fast), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "is simulated at time scale 0.1, this run is simulated at time scale 1" in err
    assert "not comparable" in err and "--allow-mixed-runs" in err
    assert main(["report", str(real), str(hw), "-o", str(tmp_path / "r.html")]) == 2  # merging them too
    assert "hardware and simulated at time scale 1" in capsys.readouterr().err
    assert main(["report", str(real), "--baseline", str(fast), "--allow-mixed-runs",
                 "-o", str(tmp_path / "r.html")]) == 0
    assert "run: simulated at time scale 1" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_pytest_refuses_a_scale_01_baseline_for_a_scale_1_run(pytester: pytest.Pytester) -> None:
    fast = write_kind_run(pytester.path / "make-run", 5, time_scale=0.1)
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--baseline", str(fast),
                                           "--sim-time-scale", "1", "--report-dir", "reports")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--baseline: *make-run is simulated at time scale 0.1, this run is simulated at "
                                 "time scale 1*not comparable*--allow-mixed-runs*"])
    assert not (pytester.path / "reports").exists()


def test_failure_proof_counts_only_the_marked_call() -> None:
    rng = random.Random(2)
    proof = synthetic_record(1, rng=rng, stage=Stage.NOT_CONNECTED)
    proof.extra["expect_failure"] = "not_connected"
    follow_up = synthetic_record(2, rng=rng, stage=Stage.NO_RING)  # "the next call rings" regressed
    wrong_stage = synthetic_record(3, rng=rng, stage=Stage.DROPPED)
    wrong_stage.extra["expect_failure"] = "not_connected"
    report = report_from_records([proof, follow_up, wrong_stage])
    assert report.expected_failures == 1 and report.product_failures == 2
    assert proof.expected_failure and not wrong_stage.expected_failure
    assert follow_up.outcome is Outcome.FAILED


def test_devices_with_a_nonexistent_serial_exits_3_in_one_line(adb_server: AdbServer,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["devices", "--serial", "NOPE", "--adb-port", str(adb_server.port)])
    err = capsys.readouterr().err.strip()
    assert code == 3
    assert len(err.splitlines()) == 1 and "NOPE" in err and "lab error" in err, err


def test_pytest_with_a_nonexistent_serial_says_so_once_and_leaves_no_run(pytester: pytest.Pytester,
                                                                          adb_server: AdbServer) -> None:
    pytester.makepyfile(test_calls="\n".join(f"def test_{i}(call):\n    call.run()\n" for i in range(5)))
    reports = pytester.path / "reports"
    (reports / "previous").mkdir(parents=True)
    (reports / "latest").symlink_to("previous")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--serial", "NOPE", "--adb-port",
                                           str(adb_server.port), "--report-dir", str(reports),
                                           "--junitxml", str(reports / "x" / "junit.xml"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in result.stderr.lines if "NOPE" in line]
    assert len(lines) == 1 and "not an online device" in lines[0], result.stderr.lines
    assert sorted(p.name for p in reports.iterdir()) == ["latest", "previous"]
    assert (reports / "latest").resolve() == (reports / "previous").resolve()
