"""Figures from event stamps (which clock each spans, its bound) and nearest-rank percentiles."""

from __future__ import annotations

import pytest

from harness.results.figures import latencies
from harness.results.records import EventStamp
from harness.results.stats import latency_table, percentile


def stamp(name: str, device_ms: float, host_ms: float, bound_ms: float = 0.2, source: str = "logcat") -> EventStamp:
    return EventStamp(name, device_ms, host_ms, bound_ms, source)


def test_device_spans_use_the_device_clock_and_host_spans_the_host_timeline() -> None:
    day = 86_400_000.0  # the device clock a day ahead: device spans must not care
    events = {
        "placed": stamp("placed", day + 1000.0, 1000.0, 0.5, "host"),
        "ring_shown": stamp("ring_shown", day + 1040.0, 1040.01),
        "answer_tap": stamp("answer_tap", day + 1090.0, 1090.0, 25.0, "host"),
        "answer_tapped": stamp("answer_tapped", day + 1095.0, 1095.01),
        "answered": stamp("answered", day + 1160.0, 1160.01),
        "connected": stamp("connected", day + 1200.0, 1200.02),
    }
    figs = latencies(events, resolution_ms=0.001)
    assert figs["push_to_ring"] == pytest.approx((40.01, 0.7))
    assert figs["ring_to_answer"] == pytest.approx((120.0, 0.001))
    assert figs["tap_to_answer"] == pytest.approx((65.0, 0.001))  # the device-logged tap wins over the host bracket
    assert figs["harness_reaction"] == pytest.approx((55.0, 0.001))
    assert figs["answer_to_connect"] == pytest.approx((40.0, 0.001))
    del events["answer_tapped"]
    # the host tap mapped onto the device clock: its bracket is the bound
    assert latencies(events)["tap_to_answer"] == pytest.approx((70.0, 25.2))
    assert "wmpf_recovery" not in figs


def test_percentiles_are_values_calls_really_had() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0
    table = latency_table([{"outcome": "passed", "latencies_ms": {"push_to_ring": 40.0}},
                           {"outcome": "failed", "latencies_ms": {"push_to_ring": 999.0}},
                           {"outcome": "passed", "latencies_ms": {"push_to_ring": 60.0}}])
    assert table["push_to_ring"]["max"] == 60.0 and table["push_to_ring"]["n"] == 2
