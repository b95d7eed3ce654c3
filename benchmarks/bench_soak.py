"""The soak scenario's throughput and the harness's own memory over it.

Runs ``scenarios/test_soak.py`` in a child pytest (``--soak-calls N``, time scale 0.005, so a call's simulated
steps take about 15 ms and the harness's own work dominates), then reads the run's results.jsonl: calls per
minute (first call start to last call end), and the harness process's RSS sampled before each call
(``extra["soak"]["harness_rss_kb"]``): at 100-call marks, its growth per hundred calls over the whole soak and
over its second half.

Two set-ups, both measured by default:

- ``external``: the device and the phone are ``wmpf-hil sim --phones 1`` in a process of their own and the
  harness attaches as a lab does (``--serial``, the phone-app caller on the simulated phone): the pytest
  process is the harness alone, so its RSS is the harness's own memory. The simulator's RSS is read at the
  start and the end of the soak, for the record.
- ``embedded``: the default run (no device named): the simulator runs in the harness's process, so that RSS is
  both.

    .venv/bin/python benchmarks/bench_soak.py [CALLS] [external|embedded]      # default 1000, both
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import save
from harness.results.soak import Series, soak_series
from harness.results.writer import read_results

REPO = Path(__file__).resolve().parents[1]
SCALE = 0.005
ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037")) + 90
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000")) + 2300


def rss_kib(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


@contextlib.contextmanager
def external_simulator() -> Iterator[dict[str, Any]]:
    """``wmpf-hil sim`` with one device and one phone, in its own process; yields its JSON lines and pid."""
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "sim", "--phones", "1", "--time-scale", str(SCALE),
                             "--adb-port", str(ADB_PORT), "--base-port", str(DEVICE_PORT)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        lines = [json.loads(proc.stdout.readline() or "{}") for _ in range(2)]
        device = next(x for x in lines if x.get("role") == "device")
        phone = next(x for x in lines if x.get("role") == "phone")
        yield {"device": device["serial"], "phone": phone["serial"], "pid": proc.pid}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def soak(calls: int, setup: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        run = Path(tmp) / "run"
        args = [sys.executable, "-m", "pytest", str(REPO / "scenarios" / "test_soak.py"), "-q", "-p",
                "no:cacheprovider", "--soak-calls", str(calls), "--adb-port", str(ADB_PORT), "--run-dir", str(run),
                "--gates", str(REPO / "fixtures" / "gates" / "default.toml")]
        sim_pid = None
        if setup == "external":
            sim = stack.enter_context(external_simulator())
            sim_pid = sim["pid"]
            args += ["--serial", sim["device"], "--app-profile", "wmpf-sim-tablet",
                     "--caller-serial", sim["phone"], "--caller-profile", "sim-wechat"]
        else:
            args += ["--sim-time-scale", str(SCALE), "--sim-base-port", str(DEVICE_PORT)]
        sim_rss_start = rss_kib(sim_pid) if sim_pid else None
        started = time.monotonic()
        proc = subprocess.run(args, cwd=tmp, capture_output=True, text=True, timeout=3600)
        wall_s = time.monotonic() - started
        sim_rss_end = rss_kib(sim_pid) if sim_pid else None
        if not (run / "results.jsonl").exists():
            print(proc.stdout[-4000:], proc.stderr[-2000:])
            raise SystemExit(f"the {setup} soak run failed (exit {proc.returncode})")
        records = list(read_results(run / "results.jsonl"))
    first = min(r["started_at"] for r in records)
    last = max(r["finished_at"] for r in records)
    harness = soak_series(records)[("harness", "rss_kb")]
    marks = {int(i): round(v / 1024, 1) for i, v, _ in harness.points if int(i) % 100 == 0}
    half = Series("harness", "rss_kb", [p for p in harness.points if p[0] >= calls // 2])
    growth_all = harness.growth_per_100()
    growth_half = half.growth_per_100()
    figures: dict[str, Any] = {
        "setup": setup,
        "calls": len(records),
        "time_scale": SCALE,
        "passed": sum(r["outcome"] == "passed" for r in records),
        "failures": [f"#{r['extra']['soak']['index']}: {r['stage']}" for r in records if r["outcome"] != "passed"],
        "pytest_exit": proc.returncode,
        "soak_wall_s": round(last - first, 1),
        "pytest_wall_s": round(wall_s, 1),
        "calls_per_minute": round(len(records) / ((last - first) / 60), 1),
        "harness_rss_mib_at_call": marks,
        "harness_rss_growth_kib_per_100_calls": round(growth_all, 1) if growth_all is not None else None,
        "harness_rss_growth_kib_per_100_calls_second_half": round(growth_half, 1) if growth_half is not None else None,
    }
    if sim_rss_start is not None and sim_rss_end is not None:
        figures["simulator_rss_mib_start_end"] = [round(sim_rss_start / 1024, 1), round(sim_rss_end / 1024, 1)]
    return figures


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    setups = sys.argv[2:] or ["external", "embedded"]
    unknown = set(setups) - {"external", "embedded"}
    if unknown:
        raise SystemExit(f"unknown set-up {sorted(unknown)}: external or embedded")
    save(f"soak_{calls}calls", {setup: soak(calls, setup) for setup in setups})


if __name__ == "__main__":
    main()
