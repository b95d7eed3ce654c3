"""Farm figures: one host driving N simulated devices through xdist, and the merge of 3 shards x 500 calls.

``--devices 1 4 8 16`` (default): for each N, ``pytest scenarios/test_series.py -n N --dist each`` (every worker
runs the series on its own device: its own simulator on its own ports, as on a farm host each worker leases one
device) at ``--sim-time-scale 1``, ``--calls CALLS`` per worker; measured: calls per minute (records / wall time
of the run, start-up included; and steady, from the first call's start to the last call's end), and per worker
the CPU seconds and the peak RSS (psutil-free: ``/proc/<pid>/status`` VmHWM of the xdist worker processes,
sampled every 0.5 s). ``--merge-only``: just the merge time of 3 shards x 500 synthetic calls
(screenshots on disk) through ``wmpf-hil report --merge-into`` (merge + report) and ``merge_runs`` alone.

Run it late and briefly on a shared machine. Results: benchmarks/results/farm.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import save

from harness.results.merge import merge_runs
from harness.results.writer import read_results
from tests.support.synthetic import write_run

ROOT = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().split()
            except OSError:
                continue
            if int(stat[3]) == pid:
                out.append(int(entry.name))
    return out


def _status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _cpu_s(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def host_run(devices: int, calls: int, base_port: int, adb_port: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "pytest", "scenarios/test_series.py", "-p", "no:cacheprovider", "-q",
               "-n", str(devices), "--dist", "each", "--calls", str(calls), "--sim-time-scale", "1",
               "--run-dir", str(run_dir), "--history", "none", "--adb-port", str(adb_port),
               "--sim-base-port", str(base_port), "-p", "no:html"]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak: dict[int, int] = {}
        cpu: dict[int, float] = {}
        while proc.poll() is None:
            for pid in _children(proc.pid):
                try:
                    peak[pid] = max(peak.get(pid, 0), _status(pid, "VmHWM"))
                    cpu[pid] = _cpu_s(pid)
                except (OSError, ValueError, IndexError):
                    pass
            time.sleep(0.5)
        wall = time.monotonic() - start
        records = list(read_results(run_dir / "results.jsonl")) if (run_dir / "results.jsonl").exists() else []
    workers = [p for p in peak if peak[p] > 0]
    # steady state: from the first call's start to the last call's end (worker start-up, simulator boot and
    # uiautomator2 warm-up excluded: a nightly run pays them once, not per call)
    span = max((r.get("finished_at") or r["started_at"] for r in records), default=0.0) - \
        min((r["started_at"] for r in records), default=0.0)
    return {"devices": devices, "calls": len(records), "wall_s": round(wall, 1),
            "calls_per_min": round(len(records) / wall * 60, 1),
            "calls_per_min_steady": round(len(records) / span * 60, 1) if span > 0 else None,
            "rss_mb_per_worker_max": round(max((peak[p] for p in workers), default=0) / 1024, 1),
            "cpu_s_per_worker_mean": round(sum(cpu.values()) / max(1, len(cpu)), 2)}


def merge_bench(shards: int = 3, calls: int = 500) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [write_run(Path(tmp) / f"shard-{k}", calls, seed=k, screenshots=True, worker=f"gw{k}").parent
                for k in range(shards)]
        start = time.monotonic()
        merge_runs(dirs, Path(tmp) / "merged-a")
        merge_only = time.monotonic() - start
        start = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "harness.cli", "report", *map(str, dirs), "--merge-into",
                              str(Path(tmp) / "merged-b")], cwd=ROOT, capture_output=True, text=True)
        with_report = time.monotonic() - start
        assert out.returncode == 0, out.stderr
    return {"shards": shards, "calls_per_shard": calls, "merge_runs_s": round(merge_only, 2),
            "cli_merge_and_report_s": round(with_report, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--calls", type=int, default=10, help="calls per worker in the series scenario")
    parser.add_argument("--merge-only", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {"merge": merge_bench()}
    if not args.merge_only:
        adb = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037")) + 900
        base = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000")) + 10000
        figures["host"] = [host_run(n, args.calls, base, adb) for n in args.devices]
    save("farm", figures)


if __name__ == "__main__":
    main()
