"""The soak scenario's throughput and the harness's own memory over it.

Runs ``scenarios/test_soak.py`` in a child pytest on the simulator (``--soak-calls N``, time scale 0.005, so a
call's simulated steps take about 15 ms and the harness's own work dominates), then reads the run's
results.jsonl: calls per minute (first call start to last call end), and the harness process's RSS sampled
before each call (``extra["soak"]["harness_rss_kb"]``): at 100-call marks, its growth per hundred calls over
the whole soak and over its second half (flat = bounded: the logcat stream keeps a fixed history of lines).

    .venv/bin/python benchmarks/bench_soak.py [CALLS]      # default 1000
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import save
from harness.results.soak import Series, soak_series
from harness.results.writer import read_results

REPO = Path(__file__).resolve().parents[1]
SCALE = 0.005


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    adb_port = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037")) + 90
    device_port = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000")) + 2300
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", str(REPO / "scenarios" / "test_soak.py"), "-q", "-p", "no:cacheprovider",
             "--sim-time-scale", str(SCALE), "--soak-calls", str(calls), "--adb-port", str(adb_port),
             "--sim-base-port", str(device_port), "--run-dir", str(run),
             "--gates", str(REPO / "fixtures" / "gates" / "default.toml")],
            cwd=tmp, capture_output=True, text=True, timeout=3600)
        wall_s = time.monotonic() - started
        if not (run / "results.jsonl").exists():
            print(proc.stdout[-4000:], proc.stderr[-2000:])
            raise SystemExit(f"the soak run failed (exit {proc.returncode})")
        records = list(read_results(run / "results.jsonl"))
    first = min(r["started_at"] for r in records)
    last = max(r["finished_at"] for r in records)
    harness = soak_series(records)[("harness", "rss_kb")]
    marks = {int(i): round(v / 1024, 1) for i, v, _ in harness.points if int(i) % 100 == 0}
    half = Series("harness", "rss_kb", [p for p in harness.points if p[0] >= calls // 2])
    growth_all = harness.growth_per_100()
    growth_half = half.growth_per_100()
    save(f"soak_{calls}calls", {
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
    })


if __name__ == "__main__":
    main()
