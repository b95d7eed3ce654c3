"""The two-device self-check's error distribution: the phone-app caller's latencies against both ground truths.

Each set-up gives the phone and the device independent clocks (offset ±1 day, drift ±200 ppm). push_to_ring
runs from the bracketed tap on the phone to the ring on the device; call_sent_to_ring from the phone's own log
line (its clock) to the ring (the device's clock), its bound the sum of both clock mappings'; tap_to_call_sent
is the phone's share. Goal: p99 |measured − truth| ≤ 3 ms and no error beyond the bound its record states.
Ports: WMPF_HIL_BENCH_ADB_PORT (default 15600) and WMPF_HIL_BENCH_DEVICE_PORT (default 28200).
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
from tests.selfcheck_helpers import phone_selfcheck_rig, phone_truth_latencies, read_truth

ADB_PORT = int(os.environ.get("WMPF_HIL_BENCH_ADB_PORT", "15600"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_BENCH_DEVICE_PORT", "28200"))
CALLS = int(os.environ.get("WMPF_HIL_BENCH_CALLS", "15"))
SETUPS = [((86400.0, 200.0), (-86400.0, -200.0)), ((-86400.0, -200.0), (86400.0, 200.0)),
          ((86400.0, -200.0), (86400.0, 200.0)), ((0.0, 0.0), (-86400.0, 200.0))]


def dist(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": round(percentile(values, 0.5), 4), "p90_ms": round(percentile(values, 0.9), 4),
            "p99_ms": round(percentile(values, 0.99), 4), "max_ms": round(max(values), 4)}


def main() -> None:
    errors: dict[str, list[float]] = {}
    bounds: dict[str, list[float]] = {}
    beyond = 0
    with tempfile.TemporaryDirectory() as tmp, \
            AdbServer(free_server_port(ADB_PORT), home=Path(tmp) / "home") as server:
        for i, (device_clock, phone_clock) in enumerate(SETUPS):
            with phone_selfcheck_rig(server.port, server.adb_path, Path(tmp) / f"truth{i}", base_port=DEVICE_PORT,
                                     device_clock=device_clock, phone_clock=phone_clock) as (lab, rig):
                driver = CallDriver(rig, "bench_selfcheck_phone")
                records = [driver.run(hang_up="phone" if n % 2 else "device") for n in range(CALLS)]
                assert lab.simulator is not None
                device_truth = read_truth(lab.simulator.truth_path(0))
                phone_truth = read_truth(lab.simulator.truth_path(lab.simulator.phones[0].sn))
            for record in records:
                assert record.outcome is Outcome.PASSED, record.error
                for name, value in phone_truth_latencies(device_truth, phone_truth, record.room_id or "").items():
                    fig = record.latencies[name]
                    errors.setdefault(name, []).append(abs(fig.ms - value))
                    bounds.setdefault(name, []).append(fig.bound_ms)
                    beyond += abs(fig.ms - value) > fig.bound_ms + 0.05
    figures = {"calls": CALLS * len(SETUPS),
               "clocks": [{"device": {"offset_s": d[0], "drift_ppm": d[1]},
                           "phone": {"offset_s": p[0], "drift_ppm": p[1]}} for d, p in SETUPS],
               "abs_error": {name: dist(v) for name, v in errors.items()},
               "stated_bound": {name: dist(v) for name, v in bounds.items()},
               "errors_beyond_stated_bound": beyond,
               "met": all(percentile(errors[n], 0.99) <= 3 for n in ("push_to_ring", "call_sent_to_ring"))
               and not beyond}
    save("selfcheck_phone", figures)


if __name__ == "__main__":
    main()
