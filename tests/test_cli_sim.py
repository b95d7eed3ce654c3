"""`wmpf-hil sim`: JSON lines per device, devices on the adb server, clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from harness.device.adb_server import AdbServer, free_server_port, port_is_listening
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
            assert {"serial", "port", "model", "phone"} <= line.keys()
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


def test_sim_phone_places_a_call_and_truth_records_it(adb_server: AdbServer, tmp_path: Path) -> None:
    truth = tmp_path / "truth"
    proc = start_sim(adb_server, "--base-port", str(DEVICE_PORT + 720), "--time-scale", "0.05", "--truth", str(truth))
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        phone = info["phone"]
        assert phone.startswith("http://127.0.0.1:")
        device = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # WMPF activates shortly after boot; then its pushToken is known
            device = next(d for d in get_json(f"{phone}/devices") if d["sn"] == info["sn"])
            if device["pushToken"]:
                break
            time.sleep(0.1)
        assert device and device["pushToken"], f"device never published a pushToken: {device}"
        reply = post_json(f"{phone}/callWMPF", {
            "roomType": "video", "sn": device["sn"], "modelId": device["modelId"], "pushToken": device["pushToken"],
            "nickName": "Tester", "deviceName": "desk", "envVersion": "release"})
        assert reply["roomId"].startswith("wxf830863afde621ebWmpfVoip")
        truth_file = truth / f"{info['sn']}.jsonl"
        deadline = time.monotonic() + 20
        events: list[str] = []
        while time.monotonic() < deadline and "ring_shown" not in events:
            if truth_file.exists():
                events = [json.loads(line)["event"] for line in truth_file.read_text().splitlines() if line]
            time.sleep(0.1)
        assert {"call_placed", "push_delivered", "push_received", "ring_shown"} <= set(events), events
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


def post_json(url: str, body: dict):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def test_sim_phones_are_android_devices_with_their_own_role_line(adb_server: AdbServer) -> None:
    proc = start_sim(adb_server, "--devices", "1", "--phones", "1", "--base-port", str(DEVICE_PORT + 760))
    try:
        assert proc.stdout is not None
        lines = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert [line["role"] for line in lines] == ["device", "phone"]
        phone = lines[1]
        assert phone["model"] == "WeChat Test Phone P1" and phone["sn"].startswith("PHONESIM")
        listing = adb_server.adb("devices", "-l").stdout
        assert any(r.startswith(phone["serial"]) and " device " in r for r in listing.splitlines()), listing
        shell = adb_server.adb("-s", phone["serial"], "shell", "pm list packages com.tencent.mm").stdout
        assert "package:com.tencent.mm" in shell
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_sim_stops_the_adb_server_it_started_and_only_that(adb_server: AdbServer) -> None:
    """A server already there (the session's) is left running; one the sim had to start goes with it."""
    port = free_server_port(adb_server.port + 50)
    proc = subprocess.Popen([*CLI, "--adb-port", str(port), "--adb", adb_server.adb_path,
                             "--base-port", str(DEVICE_PORT + 740)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=adb_server.env)
    try:
        assert proc.stdout is not None
        json.loads(proc.stdout.readline())
        assert port_is_listening(port)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    deadline = time.monotonic() + 10
    while port_is_listening(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not port_is_listening(port), f"the adb server the sim started on {port} outlived it"
    assert port_is_listening(adb_server.port)  # the earlier tests' sims stopped, the session's server did not
