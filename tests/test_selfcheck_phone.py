"""Self-check of the two-device latencies: the phone-app caller against both devices' ground truth.

The phone and the device each get their own clock offset (±1 day) and drift (±200 ppm). push_to_ring starts
at the bracketed tap on the phone and ends at the ring on the device; call_sent_to_ring starts at the phone's
own log line (the phone's clock, mapped with the phone's bound) and ends on the device's clock, so its bound is
the sum of both mappings'. Every error must be within the bound its record states, and p99 |error| ≤ 3 ms.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.call.driver import CallDriver
from harness.results.records import Outcome
from harness.results.stats import percentile
from tests.conftest import DEVICE_PORT
from tests.selfcheck_helpers import phone_selfcheck_rig, phone_truth_latencies, read_truth

CALLS = 4
SETUPS = [((86400.0, 200.0), (-86400.0, -200.0)), ((-86400.0, -200.0), (86400.0, 200.0)),
          ((0.0, 0.0), (86400.0, -200.0))]
IDS = [f"device{d[0]:+.0f}s{d[1]:+.0f}ppm-phone{p[0]:+.0f}s{p[1]:+.0f}ppm" for d, p in SETUPS]
errors: dict[str, list[float]] = {}


@pytest.mark.parametrize(("device_clock", "phone_clock"), SETUPS, ids=IDS)
def test_two_device_latencies_match_ground_truth(adb_server, tmp_path: Path, device_clock: tuple[float, float],
                                                  phone_clock: tuple[float, float]) -> None:
    with phone_selfcheck_rig(adb_server.port, adb_server.adb_path, tmp_path / "truth", base_port=DEVICE_PORT + 900,
                             device_clock=device_clock, phone_clock=phone_clock) as (lab, rig):
        driver = CallDriver(rig, "selfcheck phone")
        records = [driver.run(hang_up="device" if i % 2 else "phone") for i in range(CALLS)]
        assert lab.simulator is not None
        device_truth = read_truth(lab.simulator.truth_path(0))
        phone_truth = read_truth(lab.simulator.truth_path(lab.simulator.phones[0].sn))
    for record in records:
        assert record.outcome is Outcome.PASSED, record.error
        assert record.extra["caller"] == "phone app"
        true = phone_truth_latencies(device_truth, phone_truth, record.room_id or "")
        assert {"push_to_ring", "tap_to_call_sent", "call_sent_to_ring"} <= set(true), true
        for name, value in true.items():
            fig = record.latencies[name]
            err = fig.ms - value
            errors.setdefault(name, []).append(abs(err))
            assert abs(err) <= fig.bound_ms + 0.05, (
                f"{name}: measured {fig.ms:.3f} ms, truth {value:.3f} ms, error {err:+.3f} ms beyond the stated "
                f"bound ±{fig.bound_ms:.3f} ms (device clock {device_clock}, phone clock {phone_clock})")


def test_two_device_error_distribution_meets_target() -> None:
    if not errors:
        pytest.skip("run together with test_two_device_latencies_match_ground_truth")
    for name in ("push_to_ring", "call_sent_to_ring"):
        values = sorted(errors[name])
        assert len(values) >= CALLS, values
        assert percentile(values, 99) <= 3.0, f"{name}: p99 |error| {percentile(values, 99):.3f} ms > 3 ms"
