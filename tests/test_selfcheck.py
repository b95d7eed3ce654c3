"""Self-check: every latency the harness measures, against the simulator's ground truth.

With the device clock offset by ±1 day and drifting ±200 ppm, |measured − truth| must stay within 2 ms at
the 99th percentile for push_to_ring and ring_to_answer (5 ms at most), every error within the bound the
record states for that figure, and the clock offset bound within 1 ms on loopback.
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
from harness.results.records import Outcome
from harness.results.stats import percentile
from tests.conftest import DEVICE_PORT
from tests.selfcheck_helpers import read_truth, selfcheck_rig, truth_latencies

CALLS = 6
CLOCKS = [(0.0, 0.0), (86400.0, 200.0), (-86400.0, -200.0), (86400.0, -200.0)]
IDS = [f"offset{o:+.0f}s-drift{d:+.0f}ppm" for o, d in CLOCKS]


@pytest.fixture(scope="module")
def measured(adb_server, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[float, float], tuple[list, list]]:
    """Every clock configuration's calls and ground truth, made once for the module: the per-clock checks and
    the distribution check read the same calls, and either test alone still makes them (none can skip)."""
    out: dict[tuple[float, float], tuple[list, list]] = {}
    for offset_s, drift_ppm in CLOCKS:
        truth_dir = tmp_path_factory.mktemp("truth")
        with selfcheck_rig(adb_server.port, adb_server.adb_path, truth_dir, base_port=DEVICE_PORT + 800,
                           offset_s=offset_s, drift_ppm=drift_ppm) as (lab, rig):
            driver = CallDriver(rig, "selfcheck")
            records = [driver.run(hang_up="device" if i % 2 else "phone") for i in range(CALLS)]
            assert lab.simulator is not None
            out[(offset_s, drift_ppm)] = (records, read_truth(lab.simulator.truth_path(0)))
    return out


def errors_of(records: list, truth: list, drift_ppm: float) -> dict[str, list[tuple[float, float, float]]]:
    """Per latency: (measured, truth, stated bound) of every passed call."""
    out: dict[str, list[tuple[float, float, float]]] = {}
    for record in records:
        assert record.outcome is Outcome.PASSED, record.error
        true = truth_latencies(truth, record.room_id or "", drift_ppm)
        assert {"push_to_ring", "ring_to_answer", "tap_to_answer"} <= set(true), true
        for name, value in true.items():
            fig = record.latencies[name]
            out.setdefault(name, []).append((fig.ms, value, fig.bound_ms))
    return out


@pytest.mark.parametrize(("offset_s", "drift_ppm"), CLOCKS, ids=IDS)
def test_latencies_match_ground_truth(measured, offset_s: float, drift_ppm: float) -> None:
    records, truth = measured[(offset_s, drift_ppm)]
    for record in records:
        assert record.offset_bound_ms is not None and record.offset_bound_ms <= 1.0, record.offset_bound_ms
    for name, rows in errors_of(records, truth, drift_ppm).items():
        for ms, value, bound in rows:
            err = ms - value
            assert abs(err) <= bound + 0.05, (
                f"{name}: measured {ms:.3f} ms, truth {value:.3f} ms, error {err:+.3f} ms beyond the stated "
                f"bound ±{bound:.3f} ms (offset {offset_s:+g} s, drift {drift_ppm:+g} ppm)")


def test_error_distribution_meets_targets(measured) -> None:
    errors: dict[str, list[float]] = {}
    for (_, drift_ppm), (records, truth) in measured.items():
        for name, rows in errors_of(records, truth, drift_ppm).items():
            errors.setdefault(name, []).extend(abs(ms - value) for ms, value, _ in rows)
    for name in ("push_to_ring", "ring_to_answer"):
        values = sorted(errors[name])
        assert len(values) >= CALLS * len(CLOCKS), values
        assert percentile(values, 99) <= 2.0, f"{name}: p99 |error| {percentile(values, 99):.3f} ms > 2 ms"
        assert values[-1] <= 5.0, f"{name}: max |error| {values[-1]:.3f} ms > 5 ms"
