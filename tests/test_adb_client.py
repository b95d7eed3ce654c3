"""The harness's adbutils client never starts an adb server (adbutils' own does, on the default port)."""

from __future__ import annotations

import adbutils
import pytest

from harness.device.adb_server import AdbServer, free_server_port, port_is_listening
from simulator import NoStartAdbClient


def test_a_gone_server_is_an_error_not_a_new_server(adb_server: AdbServer, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = free_server_port(adb_server.port + 60)
    default = free_server_port(gone + 1)
    # where adbutils would start its server: the environment's default port, with the session's adb binary
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(default))
    monkeypatch.setenv("ADBUTILS_ADB_PATH", adb_server.adb_path)
    with pytest.raises(adbutils.AdbError, match="connect to adb server failed"):
        NoStartAdbClient(port=gone).list()
    assert not port_is_listening(gone) and not port_is_listening(default)


def test_it_talks_to_a_live_server(adb_server: AdbServer) -> None:
    client = NoStartAdbClient(port=adb_server.port, socket_timeout=5)
    assert client.server_version() >= 39
    assert isinstance(client.list(), list)
