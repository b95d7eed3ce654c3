"""Self-check: every latency the harness measures, against the simulator's ground truth.

With the device clock offset by ±1 day and drifting ±200 ppm, |measured − truth| must stay within 2 ms at
the 99th percentile for push_to_ring and ring_to_answer (5 ms at most), every error within the bound the
record states for that figure, and the clock offset bound within 1 ms on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.call.driver import CallDriver
from harness.results.records import Outcome
from harness.results.stats import percentile
from tests.conftest import DEVICE_PORT
from tests.selfcheck_helpers import read_truth, selfcheck_rig, truth_latencies

CALLS = 6
CLOCKS = [(0.0, 0.0), (86400.0, 200.0), (-86400.0, -200.0), (86400.0, -200.0)]
errors: dict[str, list[float]] = {}


IDS = [f"offset{o:+.0f}s-drift{d:+.0f}ppm" for o, d in CLOCKS]


@pytest.mark.parametrize(("offset_s", "drift_ppm"), CLOCKS, ids=IDS)
def test_latencies_match_ground_truth(adb_server, tmp_path: Path, offset_s: float, drift_ppm: float) -> None:
    with selfcheck_rig(adb_server.port, adb_server.adb_path, tmp_path / "truth", base_port=DEVICE_PORT + 800,
                       offset_s=offset_s, drift_ppm=drift_ppm) as (lab, rig):
        driver = CallDriver(rig, "selfcheck")
        records = [driver.run(hang_up="device" if i % 2 else "phone") for i in range(CALLS)]
        assert lab.simulator is not None
        truth = read_truth(lab.simulator.truth_path(0))
    for record in records:
        assert record.outcome is Outcome.PASSED, record.error
        assert record.offset_bound_ms is not None and record.offset_bound_ms <= 1.0, record.offset_bound_ms
        true = truth_latencies(truth, record.room_id or "", drift_ppm)
        assert {"push_to_ring", "ring_to_answer", "tap_to_answer"} <= set(true), true
        for name, value in true.items():
            fig = record.latencies[name]
            err = fig.ms - value
            errors.setdefault(name, []).append(abs(err))
            assert abs(err) <= fig.bound_ms + 0.05, (
                f"{name}: measured {fig.ms:.3f} ms, truth {value:.3f} ms, error {err:+.3f} ms beyond the stated "
                f"bound ±{fig.bound_ms:.3f} ms (offset {offset_s:+g} s, drift {drift_ppm:+g} ppm)")


def test_error_distribution_meets_targets() -> None:
    if not errors:
        pytest.skip("run together with test_latencies_match_ground_truth")
    for name in ("push_to_ring", "ring_to_answer"):
        values = sorted(errors[name])
        assert len(values) >= CALLS, values
        assert percentile(values, 99) <= 2.0, f"{name}: p99 |error| {percentile(values, 99):.3f} ms > 2 ms"
        assert values[-1] <= 5.0, f"{name}: max |error| {values[-1]:.3f} ms > 5 ms"
