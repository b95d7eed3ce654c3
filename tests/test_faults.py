"""The fault suite (marker ``faults``): each lab fault at each call stage, through real child pytest runs.

For every fault of docs/reliability.md "## Faults" and every stage (placed, ringing, answered, connected,
hanging up) a child run (tests/faults/scenario_faults.py) places a call, injects the fault the moment the call
reaches the stage, and then tries one more call. Checked each time, against the simulator's ground truth:

* every room the harness placed (``call_placed`` in the truth files) has exactly one record, and there is one
  record per started call (marks joined with records: nothing duplicated, nothing missing);
* the faulted call is classified right: a lab fault is ``lab_error`` with the stage it reached (or ``passed``
  when the lab retries absorbed it), WMPF crashing is a product failure at or after the stage;
* the run says INCOMPLETE (run.json, terminal, JUnit error case, non-zero exit) exactly when calls or scenarios
  were lost to the lab;
* ``wmpf-hil report`` still renders the run, INCOMPLETE at the top when it is.

Faults the device survives run all five stages in one child run; faults that end the device or the run
(simulator SIGKILL, adb server killed, SIGINT, SIGTERM) get one child run per stage.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.cli import main as cli_main
from harness.device.adb_server import free_server_port
from harness.results.load import load_results
from harness.results.records import REACHED
from harness.results.run_manifest import RunManifest
from harness.results.writer import RESULTS_FILE, read_lines
from tests.conftest import ADB_PORT, DEVICE_PORT

pytestmark = pytest.mark.faults

STAGES = ["placed", "ringing", "answered", "connected", "hanging_up"]
SCENARIOS = Path(__file__).parent / "faults" / "scenario_faults.py"
ORDER = ["push_not_received", "no_ring", "answer_failed", "not_connected", "dropped", "no_media",
         "one_way_media", "end_not_handled"]
FIRST_STAGE_AT = {"placed": 0, "ringing": 2, "answered": 3, "connected": 4, "hanging_up": 4}
_ports = itertools.cycle(range(DEVICE_PORT + 1700, DEVICE_PORT + 1999, 12))  # child runs go one at a time


@dataclass
class FaultRun:
    ret: int
    run_dir: Path
    stdout: str
    records: list  # harness.results.records.CallRecord, lost calls included
    manifest: RunManifest | None
    placed_rooms: set[str]

    def at(self, stage: str):  # type: ignore[no-untyped-def]
        found = [r for r in self.records if r.scenario == f"test_fault_at[{stage}]"]
        assert len(found) == 1, (stage, [r.to_dict() for r in found])
        return found[0]

    @property
    def incomplete(self) -> bool:
        return self.manifest is not None and self.manifest.status == "incomplete"


class ExternalSim:
    """``wmpf-hil sim`` in a child process (its own adb server): for faults that kill it or fill the disk."""

    def __init__(self, truth: Path, devices: int = 1) -> None:
        self.adb_port = free_server_port(ADB_PORT + 70)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "sim", "--devices", str(devices), "--adb-port", str(self.adb_port),
             "--base-port", str(next(_ports)), "--time-scale", "0.1", "--truth", str(truth)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.infos = []
        for _ in range(devices):
            line = self.proc.stdout.readline() if self.proc.stdout else ""
            assert line, f"wmpf-hil sim did not start: {self.proc.stderr.read() if self.proc.stderr else ''}"
            self.infos.append(json.loads(line))

    def args(self) -> list[str]:
        serials = [a for info in self.infos for a in ("--serial", info["serial"])]
        return [*serials, "--adb-port", str(self.adb_port), "--phone-url", self.infos[0]["phone"]]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        from simulator import bundled_adb_path

        subprocess.run([bundled_adb_path(), "-P", str(self.adb_port), "kill-server"], capture_output=True,
                       timeout=15, check=False)  # the server this sim started


def run_fault(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, fault: str, stages: list[str], *,
              external: bool = False, xdist: bool = False, devices: int = 1) -> FaultRun:
    pytester.makepyfile(test_fault_scenarios=SCENARIOS.read_text(encoding="utf-8"))
    run_dir = pytester.path / f"run-{fault}-{'-'.join(stages)}"
    truth = run_dir / "truth" / "main" if external else None
    monkeypatch.setenv("WMPF_FAULT", fault)
    monkeypatch.setenv("WMPF_FAULT_STAGES", ",".join(stages))
    sim = ExternalSim(truth, devices) if truth is not None else None
    args = ["test_fault_scenarios.py", "-p", "no:cacheprovider", "-q", "-s", "--run-dir", str(run_dir),
            "--lab-retry-budget", "3", "--no-evidence"]
    if sim is not None:
        monkeypatch.setenv("WMPF_SIM_PID", str(sim.proc.pid))
        args += sim.args()
    else:
        args += ["--sim-time-scale", "0.1", "--adb-port", str(free_server_port(ADB_PORT + 70)),
                 "--sim-base-port", str(next(_ports))]
    if xdist:
        args += ["-n", "1", "--max-worker-restart", "10"]
    try:
        result = pytester.runpytest_subprocess(*args, timeout=240)
    finally:
        if sim is not None:
            sim.close()
    stdout = "\n".join(result.outlines)
    loaded = load_results([run_dir]) if (run_dir / RESULTS_FILE).exists() else []
    rooms: set[str] = set()
    for path in (run_dir / "truth").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                event = json.loads(line)
                if event.get("event") == "call_placed":
                    rooms.add(event["room_id"])
    run = FaultRun(int(result.ret), run_dir, stdout, [lr.record for lr in loaded], RunManifest.read(run_dir), rooms)
    check_common(run)
    table = os.environ.get("WMPF_FAULT_TABLE")  # docs/reliability.md's table is made from these lines
    if table:
        with open(table, "a", encoding="utf-8") as fh:
            for stage in stages:
                r = run.at(stage)
                fh.write(json.dumps({"fault": fault, "stage": stage, "outcome": r.outcome.value,
                                     "failed_at": r.stage.value if r.stage else None, "reached": r.reached,
                                     "lost": bool(r.extra.get("lost")), "retries": r.retries,
                                     "incomplete": run.incomplete, "exit": run.ret,
                                     "placed": len(run.placed_rooms),
                                     "unrecorded": len(run.placed_rooms - {x.room_id for x in run.records})})
                         + "\n")
    return run


def check_common(run: FaultRun) -> None:
    """One record per started call, every placed room recorded once, the report renders, INCOMPLETE honest."""
    marks = {str(d["mark"]) for d in read_lines(run.run_dir / RESULTS_FILE) if "mark" in d}
    ids = [r.call_id for r in run.records]
    assert len(ids) == len(set(ids)), f"a call has two records: {ids}\n{run.stdout}"
    assert marks <= set(ids), f"started calls without a record: {marks - set(ids)}\n{run.stdout}"
    by_room: dict[str, int] = {}
    for r in run.records:
        if r.room_id:
            by_room[r.room_id] = by_room.get(r.room_id, 0) + 1
    missing = run.placed_rooms - set(by_room)
    assert not missing, f"rooms placed (ground truth) without a record: {missing}\n{run.stdout}"
    assert all(n == 1 for n in by_room.values()), by_room
    assert run.manifest is not None and run.manifest.status in ("complete", "incomplete"), run.manifest
    out = run.run_dir / "rerendered.html"
    code = cli_main(["report", str(run.run_dir), "-o", str(out)])
    assert code == 0 and out.is_file(), code
    assert ("INCOMPLETE" in out.read_text(encoding="utf-8")) is run.incomplete
    if run.incomplete:
        assert run.ret != 0
        assert "INCOMPLETE" in run.stdout
        junit = run.run_dir / "junit.xml"
        if junit.exists():
            assert "run_completeness" in junit.read_text(encoding="utf-8")


def assert_lab(record, stage: str, *, exact: bool = False) -> None:  # type: ignore[no-untyped-def]
    """A lab error that says how far the call got: the stage of the fault, or a later step the harness saw
    before the fault surfaced (a hang-up's endVoip already logged); ``exact`` when nothing could follow it."""
    assert record.outcome.value == "lab_error", record.to_dict()
    if exact:
        assert record.reached == stage, (stage, record.to_dict())
    else:
        assert REACHED.index(record.reached) >= REACHED.index(stage), (stage, record.to_dict())


# -- faults the device survives: all stages in one run ---------------------------------------------------------
def test_adb_link_dropped(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_fault(pytester, monkeypatch, "adb_drop", STAGES)
    for stage in STAGES:
        record = run.at(stage)
        assert record.outcome.value in ("lab_error", "passed"), record.to_dict()  # never a product failure
        if record.outcome.value == "lab_error":
            assert_lab(record, stage)
    assert not run.incomplete, run.manifest  # the device came back: lab errors are judged by the gates


def test_uiautomator2_server_killed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_fault(pytester, monkeypatch, "uia2_kill", STAGES)
    for stage in STAGES:
        record = run.at(stage)
        assert record.outcome.value in ("lab_error", "passed"), record.to_dict()
        if record.outcome.value == "lab_error":
            assert_lab(record, stage)
    assert not run.incomplete, run.manifest  # the device came back: lab errors are judged by the gates


def test_wmpf_crash_loop_is_a_product_failure(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_fault(pytester, monkeypatch, "wmpf_crash_loop", STAGES)
    for stage in STAGES:
        record = run.at(stage)
        assert record.outcome.value == "failed", record.to_dict()
        assert record.stage is not None and ORDER.index(record.stage.value) >= FIRST_STAGE_AT[stage], (
            stage, record.to_dict())
    assert not run.incomplete, run.manifest


def test_disk_full(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_fault(pytester, monkeypatch, "disk_full", STAGES, external=True)
    for stage in STAGES:
        assert_lab(run.at(stage), stage, exact=True)  # its record could not be written: made up from its marks
        assert run.at(stage).extra.get("lost"), run.at(stage).to_dict()
    assert run.incomplete and "without a record" in " ".join(run.manifest.reasons), run.manifest


def test_xdist_worker_crash(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_fault(pytester, monkeypatch, "worker_crash", STAGES, xdist=True)
    for stage in STAGES:
        assert_lab(run.at(stage), stage, exact=True)
        assert run.at(stage).extra.get("lost"), run.at(stage).to_dict()
    assert run.incomplete and any("crashed" in r for r in run.manifest.reasons), run.manifest


# -- faults that end the device or the run: one run per stage --------------------------------------------------
@pytest.mark.parametrize("stage", STAGES)
def test_simulator_killed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    run = run_fault(pytester, monkeypatch, "sim_kill", [stage], external=True)
    assert_lab(run.at(stage), stage)
    # the device is quarantined once and the next scenario is "not run: device lost": INCOMPLETE
    assert run.incomplete and "not run: device lost" in " ".join(run.manifest.reasons), run.manifest
    assert run.stdout.count("device lost, quarantined") <= 1, run.stdout


@pytest.mark.parametrize("stage", STAGES)
def test_adb_server_killed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    run = run_fault(pytester, monkeypatch, "adb_server_kill", [stage])
    assert_lab(run.at(stage), stage)
    assert run.incomplete, run.manifest


@pytest.mark.parametrize("fault", ["sigint", "sigterm"])
@pytest.mark.parametrize("stage", STAGES)
def test_interrupted(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, fault: str, stage: str) -> None:
    run = run_fault(pytester, monkeypatch, fault, [stage])
    record = run.at(stage)
    assert_lab(record, stage, exact=True)
    assert "interrupted" in (record.error or ""), record.error
    assert run.incomplete and run.ret == 2, (run.ret, run.manifest)
    assert any("interrupted" in r for r in run.manifest.reasons), run.manifest


def test_a_worker_whose_device_is_lost_takes_a_free_one(pytester: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """xdist, two devices, one worker: the first device's link goes for good at ``placed``; the call is a
    lab_error, the device is quarantined, and the next scenario runs on the other device."""
    run = run_fault(pytester, monkeypatch, "adb_block", ["placed"], external=True, xdist=True, devices=2)
    faulted = run.at("placed")
    assert_lab(faulted, "placed")
    assert faulted.extra.get("quarantined"), faulted.to_dict()
    nxt = [r for r in run.records if r.scenario == "test_next_call"]
    assert len(nxt) == 1 and nxt[0].outcome.value == "passed" and nxt[0].serial != faulted.serial, run.stdout
    assert not run.incomplete, run.manifest  # nothing was left unrun
