"""The wmpf-hil pytest plugin: command-line options and fixtures (registered through the pytest11 entry point).

``device`` yields an adbutils device: a simulated one on an isolated adb server when no ``--serial`` is
given, otherwise the named real device. Tests are written once and run on both.
"""

from __future__ import annotations

from collections.abc import Iterator

import adbutils
import pytest

from harness.lab import Lab, LabConfig


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wmpf-hil", "wmpf-hil: WMPF VoIP hardware-in-the-loop")
    group.addoption("--serial", action="append", default=[], metavar="SERIAL",
                    help="adb serial of a real device to test (repeatable); default: a simulated device")
    group.addoption("--adb-path", default=None, metavar="PATH",
                    help="adb binary for the session's adb server (default: the one bundled with adbutils)")
    group.addoption("--adb-port", type=int, default=None, metavar="PORT",
                    help="port of the session's isolated adb server (default: first free from 15037)")
    group.addoption("--sim-devices", type=int, default=1, metavar="N",
                    help="number of simulated devices when no --serial is given (default 1)")
    group.addoption("--sim-profile", default=None, metavar="TOML",
                    help="device profile of the simulated devices (default fixtures/devices/wmpf-tablet.toml)")
    group.addoption("--sim-time-scale", type=float, default=1.0, metavar="X",
                    help="multiply every simulated delay by X (e.g. 0.05 for fast CI runs)")


def lab_config(config: pytest.Config) -> LabConfig:
    return LabConfig(
        serials=list(config.getoption("--serial")),
        adb_path=config.getoption("--adb-path"),
        adb_port=config.getoption("--adb-port"),
        sim_devices=config.getoption("--sim-devices"),
        sim_profile=config.getoption("--sim-profile"),
        sim_time_scale=config.getoption("--sim-time-scale"),
    )


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The session's adb server and devices (starting the simulator when no serial is named)."""
    session_lab = Lab(lab_config(request.config)).start()
    try:
        yield session_lab
    finally:
        session_lab.stop()


@pytest.fixture
def device(lab: Lab) -> adbutils.AdbDevice:
    """The device under test, as an adbutils device (real or simulated: same code)."""
    return lab.device()
