"""Time from a lab fault to the run noticing it, and to the device's quarantine (median of N child runs).

Each child run is the fault suite's scenario (tests/faults/scenario_faults.py) with the fault injected while the
harness waits for the ring (stage ``placed``): the simulator SIGKILLed (a child ``wmpf-hil sim``: the device
lost) or the lab's adb server SIGKILLed (adb server gone). *Noticed* is the faulted call's record finishing as
a lab_error; *quarantined* is the moment the device was taken out of service, after the lab retries
(``--lab-retry-budget``, 5 s here; 30 s by default, so a default run quarantines about 25 s later).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import save  # noqa: E402
from harness.device.adb_server import free_server_port  # noqa: E402
from harness.results.writer import read_results  # noqa: E402
from simulator import bundled_adb_path  # noqa: E402

RUNS = int(os.environ.get("BENCH_FAULT_RUNS", "5"))
BUDGET_S = 5.0
ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037")) + 80
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000")) + 1800


def one_run(workdir: Path, fault: str, index: int) -> dict[str, float]:
    shutil.copy(ROOT / "tests" / "faults" / "scenario_faults.py", workdir / "test_fault_scenarios.py")
    run_dir = workdir / f"run-{fault}-{index}"
    env = {**os.environ, "WMPF_FAULT": fault, "WMPF_FAULT_STAGES": "placed", "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "pytest", "test_fault_scenarios.py", "-p", "no:cacheprovider", "-q",
            "--run-dir", str(run_dir), "--lab-retry-budget", str(BUDGET_S), "--no-evidence"]
    sim = None
    adb_port = free_server_port(ADB_PORT)
    if fault == "sim_kill":
        sim = subprocess.Popen([sys.executable, "-m", "harness.cli", "sim", "--adb-port", str(adb_port),
                                "--base-port", str(DEVICE_PORT), "--time-scale", "0.1"],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
        info = json.loads(sim.stdout.readline() if sim.stdout else "{}")
        env["WMPF_SIM_PID"] = str(sim.pid)
        args += ["--serial", info["serial"], "--adb-port", str(adb_port), "--phone-url", info["phone"]]
    else:
        args += ["--sim-time-scale", "0.1", "--adb-port", str(adb_port), "--sim-base-port", str(DEVICE_PORT)]
    try:
        subprocess.run(args, cwd=workdir, env=env, capture_output=True, timeout=180, check=False)
    finally:
        if sim is not None:
            if sim.poll() is None:
                sim.send_signal(signal.SIGTERM)
            sim.wait(15)
            subprocess.run([bundled_adb_path(), "-P", str(adb_port), "kill-server"], capture_output=True,
                           timeout=15, check=False)
    fault_at = float((run_dir / "fault_at.txt").read_text().split()[0])
    record = next(r for r in read_results(run_dir / "results.jsonl") if r["scenario"] == "test_fault_at[placed]")
    assert record["outcome"] == "lab_error", record
    quarantined = record["extra"].get("quarantined_at")
    return {"noticed_s": record["finished_at"] - fault_at,
            "quarantined_s": (quarantined - fault_at) if quarantined else float("nan")}


def main() -> None:
    figures: dict[str, object] = {"runs": RUNS, "lab_retry_budget_s": BUDGET_S, "stage": "placed"}
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        for fault, label in (("sim_kill", "device_lost"), ("adb_server_kill", "adb_server_gone")):
            samples = [one_run(Path(tmp), fault, i) for i in range(RUNS)]
            noticed = [s["noticed_s"] * 1000 for s in samples]
            quarantined = [s["quarantined_s"] * 1000 for s in samples if s["quarantined_s"] == s["quarantined_s"]]
            figures[label] = {
                "fault_to_noticed_median_ms": round(statistics.median(noticed), 1),
                "fault_to_noticed_max_ms": round(max(noticed), 1),
                "fault_to_quarantine_median_ms": round(statistics.median(quarantined), 1) if quarantined else None,
                "quarantined_runs": len(quarantined),
            }
    save("faults", figures)


if __name__ == "__main__":
    main()
