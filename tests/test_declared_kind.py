"""A named device says whether it is simulated, and at what time scale; a real one (no property) is hardware."""

from __future__ import annotations

import pytest

from harness.device.declared_kind import TIME_SCALE_PROP, lab_time_scale, parse_time_scale
from harness.device.lab import Lab, LabConfig
from harness.errors import LabError


def test_a_simulated_device_met_through_serial_is_labelled_simulated_at_its_scale(make_sim, adb_server) -> None:
    sim = make_sim(time_scale=0.3)
    serial = sim.devices[0].serial
    assert adb_server.adb("-s", serial, "shell", f"getprop {TIME_SCALE_PROP}").stdout.strip() == "0.3"
    lab = Lab(LabConfig(serials=[serial], adb_port=adb_server.port, adb_path=adb_server.adb_path)).start()
    try:
        assert lab.simulator is None  # attached, not started
        assert lab.simulated and lab.time_scale == 0.3
    finally:
        lab.stop()


def test_parsing_and_mixed_labs() -> None:
    assert parse_time_scale("D1", "") is None  # hardware
    assert parse_time_scale("D1", "0.05\n") == 0.05
    with pytest.raises(LabError, match=r"D1: ro.wmpf_hil.time_scale is 'fast', not a number"):
        parse_time_scale("D1", "fast")
    with pytest.raises(LabError, match="a time scale is positive"):
        parse_time_scale("D1", "0")
    assert lab_time_scale({}) is None
    assert lab_time_scale({"A": 0.2, "B": 0.2}) == 0.2
    with pytest.raises(LabError, match=r"different kinds in one run: A \(hardware\), B \(simulated at time scale "
                                       r"0.2\); run them apart"):
        lab_time_scale({"A": None, "B": 0.2})
