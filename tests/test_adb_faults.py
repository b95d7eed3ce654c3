"""The transport under trouble, seen through a real adb server: link drops, AUTH, bad bytes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.device.adb_server import AdbServer, free_server_port
from simulator import adb_host
from tests.adb_wire import WireClient
from tests.conftest import SimFactory


def _state(server: AdbServer, serial: str) -> str:
    for info in server.client().list():
        if info.serial == serial:
            return info.state
    return "absent"


def _wait(server: AdbServer, serial: str, wanted: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    state = _state(server, serial)
    while state not in wanted and time.monotonic() < deadline:
        time.sleep(0.1)
        state = _state(server, serial)
    return state


def test_link_drop_goes_offline_then_back(make_sim: SimFactory,
                                          adb_server: AdbServer) -> None:
    sim = make_sim(1)
    serial = sim.devices[0].serial
    device = sim.device(0)

    def cut() -> None:
        device.link_blocked = True
        device.drop_links()

    sim.call(cut)
    assert _wait(adb_server, serial, {"offline", "absent"}, timeout=10) in {"offline", "absent"}
    time.sleep(1)
    assert _state(adb_server, serial) != "device"  # reconnects are refused while the link is down
    sim.call(lambda: setattr(device, "link_blocked", False))
    assert _wait(adb_server, serial, {"device"}, timeout=20) == "device"  # adb 36 retries every ~3 s
    assert adb_server.client().device(serial).shell("echo back") == "back"


def test_bad_bytes_on_one_port_leave_devices_serving(make_sim: SimFactory,
                                                     adb_server: AdbServer) -> None:
    sim = make_sim(2)
    for bad in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\xff" * 24 + b"more", b"CNXN\x01\x00"):
        for info in sim.devices:
            with WireClient(info.port) as attacker:
                attacker.send_raw(bad)
                attacker.sock.shutdown(1)
                assert attacker.closed_by_peer()
    for info in sim.devices:
        assert _state(adb_server, info.serial) == "device"
        assert adb_server.client().device(info.serial).shell("echo ok") == "ok"


@pytest.fixture
def auth_servers(tmp_path: Path, adb_server: AdbServer) -> Iterator[tuple[AdbServer, AdbServer]]:
    """Two more adb servers with their own HOME, hence their own adbkey."""
    first = AdbServer(free_server_port(adb_server.port + 10), home=tmp_path / "home-allowed")
    with first:
        second = AdbServer(free_server_port(first.port + 1), home=tmp_path / "home-other")
        with second:
            yield first, second


def test_auth_allows_listed_key_only(auth_servers: tuple[AdbServer, AdbServer], tmp_path: Path,
                                     make_sim: SimFactory) -> None:
    allowed, other = auth_servers
    pub = allowed.home / ".android" / "adbkey.pub"
    deadline = time.monotonic() + 10
    while not pub.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    keys = tmp_path / "adb_keys"
    keys.write_text(pub.read_text())
    sim = make_sim(1, connect=False, adb_keys=keys)  # connected by hand, to the two servers above
    serial = sim.devices[0].serial
    allowed.client().connect(serial, timeout=10)
    assert _wait(allowed, serial, {"device"}, timeout=15) == "device"
    assert allowed.client().device(serial).shell("echo authorised") == "authorised"
    other.client().connect(serial, timeout=10)
    assert _wait(other, serial, {"unauthorized"}, timeout=15) == "unauthorized"
    time.sleep(1)
    assert _state(other, serial) == "unauthorized"
    result = other.adb("-s", serial, "shell", "echo hi", timeout=20)
    assert result.returncode != 0
    assert "unauthorized" in result.stderr
    for server in (allowed, other):
        adb_host.disconnect(server.port, serial)
