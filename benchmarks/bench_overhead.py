"""Harness overhead per call: the wall time of a whole driven call minus the device's own latencies.

The device's own share is what the product takes once the harness has acted: call placed → ring shown,
Answer tap landed → connected, the hold, and the hang-up landed → end mode carried out. Everything else is
the harness: preparing the lab, placing the call, reacting to the ring with a tap, noticing each event,
hanging up, verifying the end, computing figures and fsyncing the record. Goal: ≤ 100 ms median per call.
Measured for both hang-up sides (a device tap costs a uiautomator2 round trip; the caller's is one HTTP call).
Ports: WMPF_HIL_BENCH_ADB_PORT (default 15570) and WMPF_HIL_BENCH_DEVICE_PORT (default 27980).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import device_share_ms, save, stats_ms

from harness.call.driver import CallDriver
from harness.device.adb_server import AdbServer, free_server_port
from harness.hostclock import host_ns
from harness.results.records import Outcome
from harness.results.writer import ResultsWriter
from tests.selfcheck_helpers import selfcheck_rig

ADB_PORT = int(os.environ.get("WMPF_HIL_BENCH_ADB_PORT", "15570"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_BENCH_DEVICE_PORT", "27980"))
CALLS = int(os.environ.get("WMPF_HIL_BENCH_CALLS", "20"))
HOLD_S = 0.3


def main() -> None:
    figures: dict[str, object] = {"calls_per_side": CALLS, "hold_s": HOLD_S, "goal_median_ms": 100}
    with tempfile.TemporaryDirectory() as tmp, \
            AdbServer(free_server_port(ADB_PORT), home=Path(tmp) / "home") as server, \
            ResultsWriter(Path(tmp) / "results.jsonl") as writer, \
            selfcheck_rig(server.port, server.adb_path, Path(tmp) / "truth", base_port=DEVICE_PORT,
                          time_scale=0.2, results=writer) as (_lab, rig):
        driver = CallDriver(rig, "bench_overhead")
        for side in ("device", "phone"):
            overhead, reaction = [], []
            for _ in range(CALLS):
                start = host_ns()
                record = driver.run(hang_up=side, hold_s=HOLD_S)
                total_ms = (host_ns() - start) / 1e6
                assert record.outcome is Outcome.PASSED, record.error
                overhead.append(total_ms - device_share_ms(record, side, HOLD_S))
                reaction.append(record.latencies["harness_reaction"].ms)
            figures[f"hang_up_{side}"] = {"overhead_per_call": stats_ms(overhead),
                                          "of_which_answer_reaction": stats_ms(reaction),
                                          "met": statistics.median(overhead) <= 100}
    save("overhead", figures)


if __name__ == "__main__":
    main()
