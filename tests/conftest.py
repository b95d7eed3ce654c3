"""Fixtures for the project's own tests: an isolated adb server and simulators on private ports.

Ports come from WMPF_HIL_TEST_ADB_PORT / WMPF_HIL_TEST_DEVICE_PORT so several people (or CI jobs) on one
machine never share an adb server; nothing here touches port 5037.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import adbutils
import pytest

import simulator
from harness.adb_server import AdbServer, free_server_port

ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000"))
DEBIAN_ADB = "/usr/bin/adb"


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdbServer]:
    """The bundled adb (36) as an isolated server, with its own HOME so its key is ours alone."""
    server = AdbServer(free_server_port(ADB_PORT), home=tmp_path_factory.mktemp("adbhome"))
    with server:
        yield server


@pytest.fixture(scope="session")
def sim(adb_server: AdbServer) -> Iterator[simulator.Simulator]:
    """One simulated device shared by read-only tests (don't reboot it or cut its link)."""
    with simulator.Simulator(1, base_port=DEVICE_PORT, adb_path=adb_server.adb_path,
                             adb_server_port=adb_server.port) as running:
        yield running


@pytest.fixture
def sim_device(sim: simulator.Simulator, adb_server: AdbServer) -> adbutils.AdbDevice:
    return adb_server.client().device(sim.devices[0].serial)


_fresh_ports = itertools.count(DEVICE_PORT + 100, 10)


@pytest.fixture
def make_sim(adb_server: AdbServer) -> Iterator[Callable[..., simulator.Simulator]]:
    """A factory for private simulators (for tests that reboot, cut links or change faults)."""
    started: list[simulator.Simulator] = []

    def factory(devices: int = 1, **kwargs) -> simulator.Simulator:
        kwargs.setdefault("adb_path", adb_server.adb_path)
        kwargs.setdefault("adb_server_port", adb_server.port)
        kwargs.setdefault("base_port", next(_fresh_ports))
        simulator_ = simulator.Simulator(devices, **kwargs).start()
        started.append(simulator_)
        return simulator_

    yield factory
    for running in started:
        running.stop()
