"""Gates files (strict validation) and verdicts: limits, failures, baselines, and wmpf-hil report's exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.config.gates import DEFAULT_GATES, GatesError, load_gates, parse_gates
from harness.report.model import build_report
from harness.report.verdict import judge
from harness.results.load import load_results
from harness.results.records import Stage
from tests.support.synthetic import write_run


def report_of(path: Path):
    return build_report(load_results([path]))


def test_default_gates_load_and_pass_a_healthy_run(tmp_path: Path) -> None:
    gates = load_gates(DEFAULT_GATES)
    assert gates.latency_limits()["push_to_ring"]["p90"] == 5000 and gates.product_failures == 0
    verdict = judge(report_of(write_run(tmp_path, 40)), gates)
    assert not verdict.failed, verdict.lines()


def test_a_gate_below_the_latency_fails_and_names_the_gate(tmp_path: Path) -> None:
    report = report_of(write_run(tmp_path, 20))
    p90 = report.latencies["push_to_ring"].value("p90")
    gates = parse_gates({"latency": {"push_to_ring": {"p90": 100, "p50": 1e6},
                                     "answer_to_connect": {"max": 10}}}, "tight.toml")
    verdict = judge(report, gates)
    assert verdict.failed
    missed = {g.gate: g for g in verdict.missed}
    assert set(missed) == {"push_to_ring p90", "answer_to_connect max"}  # every gate missed, not the first
    assert missed["push_to_ring p90"].missed_by == pytest.approx(p90 - 100)
    text = "\n".join(verdict.lines())
    assert f"MISSED by {p90 - 100:g} ms" in text
    assert "GATES FAILED: 2 missed: push_to_ring p90, answer_to_connect max" in text


def test_failure_and_lab_error_allowances(tmp_path: Path) -> None:
    path = write_run(tmp_path, 10, failures={2: Stage.NO_RING, 3: Stage.DROPPED}, lab_errors=(5,))
    gates = parse_gates({"failures": {"product": 1, "lab_error": 1}}, "g.toml")
    verdict = judge(report_of(path), gates)
    assert [g.gate for g in verdict.missed] == ["product failures"]
    assert verdict.missed[0].missed_by == 1


def test_unmeasured_latency_is_listed_not_failed(tmp_path: Path) -> None:
    gates = parse_gates({"recovery": {"max_ms": 1000}}, "g.toml")
    verdict = judge(report_of(write_run(tmp_path, 3)), gates)
    assert not verdict.failed and verdict.gates[0].describe() == "not measured"


def test_a_run_without_calls_fails_its_gates(tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_text("")
    verdict = judge(report_of(tmp_path), load_gates(DEFAULT_GATES))
    assert verdict.failed and "placed no call" in verdict.lines()[-1]


def test_baseline_flags_a_30_percent_slowdown_and_passes_an_unchanged_run(tmp_path: Path) -> None:
    base = report_of(write_run(tmp_path / "base", 60, seed=3))
    same = report_of(write_run(tmp_path / "same", 60, seed=3))
    slow = report_of(write_run(tmp_path / "slow", 60, seed=3, slowdown=1.3))
    gates = load_gates(DEFAULT_GATES)
    assert not judge(same, gates, base, "base").failed
    verdict = judge(slow, gates, base, "base")
    assert verdict.failed and not verdict.missed
    flagged = {(r.latency, r.stat) for r in verdict.regressed}
    assert ("push_to_ring", "p50") in flagged and ("push_to_connect", "p90") in flagged
    assert all(r.change_pct == pytest.approx(30, abs=0.5) for r in verdict.regressed)
    # below the noise floor a 30 % change of a few-ms latency is not a regression
    assert ("tap_to_answer", "p50") not in flagged


def test_baseline_tolerance_per_latency(tmp_path: Path) -> None:
    base = report_of(write_run(tmp_path / "base", 30, seed=3))
    slow = report_of(write_run(tmp_path / "slow", 30, seed=3, slowdown=1.15))
    loose = parse_gates({"baseline": {"tolerance_pct": 20}}, "g.toml")
    strict = parse_gates({"baseline": {"tolerance_pct": 20, "tolerance_pct_by_latency": {"push_to_ring": 10}}},
                         "g.toml")
    assert not judge(slow, loose, base, "b").failed
    assert {r.latency for r in judge(slow, strict, base, "b").regressed} == {"push_to_ring"}


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("[latency.push_to_rign]\np90 = 5", "latency.push_to_rign", "unknown key"),
    ("[latency.push_to_ring]\np95 = 5", "latency.push_to_ring.p95", "unknown key"),
    ("[latency.push_to_ring]\np90 = 'fast'", "latency.push_to_ring.p90", "must be a number"),
    ("[latency.push_to_ring]\np90 = -1", "latency.push_to_ring.p90", "must not be negative"),
    ("[failures]\nproduct = 0.5", "failures.product", "whole number"),
    ("[failures]\nproduct = true", "failures.product", "must be a number"),
    ("[recovery]\nmax = 3", "recovery.max", "unknown key"),
    ("[gates]\nx = 1", "gates", "unknown key"),
    ("latency = 3", "latency", "must be a table"),
    ("[baseline]\nstats = ['p75']", "baseline.stats", "non-empty list"),
    ("[latency.push_to_ring\np90 = 1", "-", "not valid TOML"),
])
def test_invalid_gates_file_names_file_key_and_problem(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = tmp_path / "gates.toml"
    path.write_text(text)
    with pytest.raises(GatesError) as info:
        load_gates(path)
    assert info.value.source == str(path) and info.value.key == key and problem in info.value.problem
    assert str(path) in str(info.value)


def cli(argv: list[str]) -> int:
    return main(["report", *argv])


def test_cli_report_gates_and_baseline_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_run(tmp_path / "base", 30, seed=5)
    slow = write_run(tmp_path / "slow", 30, seed=5, slowdown=1.3)
    tight = tmp_path / "tight.toml"
    tight.write_text("[latency.push_to_ring]\np90 = 50\n")
    assert cli([str(base), "--gates", str(DEFAULT_GATES), "-o", str(tmp_path / "a.html")]) == 0
    assert cli([str(base), "--gates", str(tight), "-o", str(tmp_path / "b.html")]) == 1
    out = capsys.readouterr().out
    assert "push_to_ring p90" in out and "MISSED by" in out
    assert cli([str(slow), "--baseline", str(base), "-o", str(tmp_path / "c.html")]) == 1
    assert "REGRESSED" in capsys.readouterr().out
    assert cli([str(base), "--baseline", str(base), "-o", str(tmp_path / "d.html")]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[latency.nope]\np90 = 1\n")
    assert cli([str(base), "--gates", str(bad)]) == 2
    assert "latency.nope" in capsys.readouterr().err


def test_verdict_serialises(tmp_path: Path) -> None:
    verdict = judge(report_of(write_run(tmp_path, 5)), load_gates(DEFAULT_GATES))
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["failed"] is False and data["calls"] == 5 and data["gates"][0]["gate"] == "push_to_ring p50"
