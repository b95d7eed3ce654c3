"""The self-check's error distribution: |measured − ground truth| for every latency, across clock set-ups.

Each clock set-up (offset ±1 day, drift ±200 ppm) runs its own simulated device with ground truth; every
latency of every call is compared with the truth (nanosecond host-monotonic instants, see
tests/selfcheck_helpers.py). Goal: p99 ≤ 2 ms and max ≤ 5 ms for push_to_ring and ring_to_answer; offset
bound ≤ 1 ms; and no error beyond the bound its record states.
Ports: WMPF_HIL_BENCH_ADB_PORT (default 15580) and WMPF_HIL_BENCH_DEVICE_PORT (default 28000).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import percentile, save

from harness.call.driver import CallDriver
from harness.device.adb_server import AdbServer, free_server_port
from harness.results.records import Outcome
from tests.selfcheck_helpers import read_truth, selfcheck_rig, truth_latencies

ADB_PORT = int(os.environ.get("WMPF_HIL_BENCH_ADB_PORT", "15580"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_BENCH_DEVICE_PORT", "28000"))
CALLS = int(os.environ.get("WMPF_HIL_BENCH_CALLS", "15"))
CLOCKS = [(0.0, 0.0), (86400.0, 200.0), (-86400.0, -200.0), (86400.0, -200.0), (-86400.0, 200.0)]


def dist(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": round(percentile(values, 0.5), 4), "p90_ms": round(percentile(values, 0.9), 4),
            "p99_ms": round(percentile(values, 0.99), 4), "max_ms": round(max(values), 4)}


def main() -> None:
    errors: dict[str, list[float]] = {}
    bounds: list[float] = []
    beyond_bound = 0
    with tempfile.TemporaryDirectory() as tmp, \
            AdbServer(free_server_port(ADB_PORT), home=Path(tmp) / "home") as server:
        for i, (offset, drift) in enumerate(CLOCKS):
            with selfcheck_rig(server.port, server.adb_path, Path(tmp) / f"truth{i}", base_port=DEVICE_PORT,
                               offset_s=offset, drift_ppm=drift) as (lab, rig):
                driver = CallDriver(rig, "bench_selfcheck")
                records = [driver.run(hang_up="phone") for _ in range(CALLS)]
                assert lab.simulator is not None
                truth = read_truth(lab.simulator.truth_path(0))
            for record in records:
                assert record.outcome is Outcome.PASSED, record.error
                bounds.append(record.offset_bound_ms or 0.0)
                for name, value in truth_latencies(truth, record.room_id or "", drift).items():
                    fig = record.latencies[name]
                    errors.setdefault(name, []).append(abs(fig.ms - value))
                    beyond_bound += abs(fig.ms - value) > fig.bound_ms + 0.05
    figures = {"calls": CALLS * len(CLOCKS), "clocks": [{"offset_s": o, "drift_ppm": d} for o, d in CLOCKS],
               "abs_error": {name: dist(v) for name, v in errors.items()},
               "offset_bound": dist(bounds), "errors_beyond_stated_bound": beyond_bound,
               "met": all(percentile(errors[n], 0.99) <= 2 and max(errors[n]) <= 5
                          for n in ("push_to_ring", "ring_to_answer")) and max(bounds) <= 1 and not beyond_bound}
    save("selfcheck", figures)


if __name__ == "__main__":
    main()
