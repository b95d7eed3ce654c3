"""The clock model on synthetic brackets: the truth always lies within the stated bound."""

from __future__ import annotations

import random

import pytest

from harness.device.clock_model import ClockModel, ClockSample

T0 = 1_800_000_000_000_000_000


def bursts(offset_s: float, drift_ppm: float, n_bursts: int, rng: random.Random, *, step_ns: int = 1_000_000_000):
    def device(host: int) -> int:
        return host + int(offset_s * 1e9 + (host - T0) * drift_ppm * 1e-6)

    for k in range(n_bursts):
        burst = []
        for j in range(8):
            before = T0 + k * step_ns + j * 3_000_000
            width = rng.randint(100_000, 2_000_000)
            read_at = before + rng.randint(0, width)
            burst.append(ClockSample(before, device(read_at), before + width))
        yield burst, device


@pytest.mark.parametrize(("offset_s", "drift_ppm"), [(86400, 200), (-86400, -200), (0, 0), (0.25, 30)])
def test_truth_within_bound(offset_s: float, drift_ppm: float) -> None:
    rng = random.Random(7)
    model = ClockModel()
    for burst, device in bursts(offset_s, drift_ppm, 20, rng):
        model.add_burst(burst)
        est = model.estimate()
        for host in range(est.first_host_ns, est.last_host_ns + 2_000_000_000, 97_000_000):
            offset, bound = est.offset_at(host)
            assert abs(offset - (device(host) - host)) <= bound + 1
    lo, hi = est.drift_ppm_range
    assert lo <= drift_ppm <= hi and hi - lo < 20
    assert est.bound_ms() < 0.5  # sanity only: tight brackets give a sub-millisecond bound between samples
    device_ns = device(T0 + 5_000_000_000)
    host, bound = est.device_to_host(device_ns)
    assert abs(host - (T0 + 5_000_000_000)) <= bound + 2


def test_one_burst_bounds_drift_by_the_prior() -> None:
    model = ClockModel(max_drift_ppm=100)
    model.add(ClockSample(T0, T0 + 500, T0 + 1000))
    est = model.estimate()
    assert est.offset_at(T0 + 500)[1] == pytest.approx(500, abs=1)  # half the bracket
    assert est.offset_at(T0 + 10_000_000_500)[1] == pytest.approx(500 + 1_000_000, rel=1e-3)  # + 100 ppm x 10 s


def test_clock_step_restarts_the_estimate() -> None:
    model = ClockModel()
    model.add(ClockSample(T0, T0 + 500, T0 + 1000))
    model.add(ClockSample(T0 + 10**9, T0 + 10**9 + 500, T0 + 10**9 + 1000))
    model.add(ClockSample(T0 + 2 * 10**9, T0 + 2 * 10**9 + 5 * 10**9, T0 + 2 * 10**9 + 1000))  # +5 s step
    assert model.resets == 1 and len(model.samples) == 1
    assert model.estimate().offset_at(T0 + 2 * 10**9)[0] == pytest.approx(5 * 10**9 - 500 + 500, abs=600)
