"""Fixtures for the project's own tests: an isolated adb server and simulators on private ports.

Ports come from WMPF_HIL_TEST_ADB_PORT / WMPF_HIL_TEST_DEVICE_PORT so several people (or CI jobs) on one
machine never share an adb server; nothing here touches port 5037.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import adbutils
import pytest

import simulator
from harness.device.adb_server import AdbServer, free_server_port

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
def adb29_server(tmp_path_factory: pytest.TempPathFactory, adb_server: AdbServer) -> Iterator[AdbServer]:
    """Debian's adb 29 as a second isolated server, for tests that run with both adb versions the lab meets."""
    if not Path(DEBIAN_ADB).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's adb 29 is missing at /usr/bin/adb: make deps installs package 'adb'")
        pytest.skip("Debian's adb 29 is not installed at /usr/bin/adb (apt-get install adb)")
    server = AdbServer(free_server_port(adb_server.port + 1), adb_path=DEBIAN_ADB,
                       home=tmp_path_factory.mktemp("adb29home"))
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


class SimFactory:
    """Starts private simulators on the session's adb server; :meth:`stop_all` ends the ones still running.

    Every test module shares the one session adb server this way instead of running its own set-up; keyword
    arguments go to :class:`simulator.Simulator` (``time_scale``, ``truth_dir``, ``profile``, ``connect``, or
    ``adb_path`` and ``adb_server_port`` for another server such as Debian's adb 29).
    """

    def __init__(self, adb_server: AdbServer) -> None:
        self.adb_server = adb_server
        self.started: list[simulator.Simulator] = []

    def __call__(self, devices: int = 1, **kwargs: Any) -> simulator.Simulator:
        kwargs.setdefault("adb_path", self.adb_server.adb_path)
        kwargs.setdefault("adb_server_port", self.adb_server.port)
        kwargs.setdefault("base_port", next(_fresh_ports))
        running = simulator.Simulator(devices, **kwargs).start()
        self.started.append(running)
        return running

    def stop_all(self) -> None:
        started, self.started = self.started, []
        for running in started:
            running.stop()  # a no-op for one its user already stopped


@pytest.fixture
def make_sim(adb_server: AdbServer) -> Iterator[SimFactory]:
    """A factory for private simulators (for tests that reboot, cut links or change faults)."""
    factory = SimFactory(adb_server)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def make_module_sim(adb_server: AdbServer) -> Iterator[SimFactory]:
    """Like :func:`make_sim`, for a private simulator that the tests of one module share."""
    factory = SimFactory(adb_server)
    yield factory
    factory.stop_all()
