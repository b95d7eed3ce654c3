"""`wmpf-hil sim`: JSON lines per device, devices on the adb server, clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from harness.adb_server import AdbServer
from tests.conftest import DEVICE_PORT

CLI = [sys.executable, "-m", "harness.cli", "sim"]


def start_sim(adb_server: AdbServer, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "--adb-port", str(adb_server.port), "--adb", adb_server.adb_path, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=adb_server.env)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_sim_prints_devices_and_stops_cleanly(adb_server: AdbServer, stop_signal: signal.Signals) -> None:
    proc = start_sim(adb_server, "--devices", "2", "--base-port", str(DEVICE_PORT + 700))
    try:
        assert proc.stdout is not None
        lines = [json.loads(proc.stdout.readline()) for _ in range(2)]
        for line in lines:
            assert {"serial", "port", "model"} <= line.keys()
            assert line["serial"] == f"127.0.0.1:{line['port']}"
            assert not 32768 <= line["port"] <= 60999, "device port inside the ephemeral range"
        listing = adb_server.adb("devices", "-l").stdout
        for line in lines:
            row = next(r for r in listing.splitlines() if r.startswith(line["serial"]))
            assert " device " in row and "model:WMPF_Learning_Tablet_T10" in row, row
    finally:
        proc.send_signal(stop_signal)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    listing = adb_server.adb("devices").stdout
    assert all(line["serial"] not in listing for line in lines), "devices still connected after stop"


def test_sim_refuses_a_bad_profile(adb_server: AdbServer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[device]\nserial_prefix = 'X'\n")
    proc = start_sim(adb_server, "--profile", str(bad))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert f"{bad}: key 'properties': is required but missing" in err
    assert out == ""
