"""`wmpf-hil inject` and `wmpf-hil devices` with no serial: each starts its own simulated device and adb server."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys

import pytest

from simulator.ports import candidate_ports
from tests.conftest import ADB_PORT, DEVICE_PORT

CLI = [sys.executable, "-m", "harness.cli"]
TARGET = ["--adb-port", str(ADB_PORT + 500), "--sim-base-port", str(DEVICE_PORT + 1500)]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("answer", [[], ["--auto-answer"]], ids=["tap", "auto_answer"])
def test_inject_places_one_call_and_prints_its_timeline(answer: list[str]) -> None:
    caller = "张三 \"q\"; $(touch /data/local/tmp/x)"
    proc = run_cli("inject", *TARGET, "--sim-time-scale", "0.2", "--room", "voice", "--caller", caller,
                   "--hold", "0.2", *answer)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("call wxf830863afde621ebWmpfVoip") and first.endswith(": passed"), first
    for name in ("placed", "push_received", "ring_shown", "answered", "connected", "ended"):
        assert f" {name} " in proc.stdout, name
    assert "push_to_ring" in proc.stdout and "clock offset bound" in proc.stdout
    assert ("tap_to_answer" in proc.stdout) is (not answer)  # auto-answer has no tap to time


def test_inject_refuses_a_bad_app_profile_naming_it(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[app]\nhost_package = 3\n")
    proc = run_cli("inject", *TARGET, "--app-profile", str(bad))
    assert proc.returncode == 2
    assert str(bad) in proc.stderr


def test_devices_lists_the_simulated_device_with_wmpf_state() -> None:
    """The device takes the first free port from --sim-base-port: the base is held here, so it is a later one."""
    base = DEVICE_PORT + 1500
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", base))
        holder.listen()
    except OSError:
        pass  # another process holds it already: held either way
    try:
        proc = run_cli("devices", *TARGET, "--json")
    finally:
        holder.close()
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(rows) == 1
    row = rows[0]
    port = re.fullmatch(r"127\.0\.0\.1:(\d+)", row["serial"])
    assert port is not None and int(port[1]) in candidate_ports(base + 1)[:100], row["serial"]  # not ephemeral
    assert row["state"] == "device"
    assert row["model"] == "WMPF Learning Tablet T10" and row["wmpf"].startswith("running (pid ")
    assert row["wmpf_version"]


def test_inject_through_the_simulated_phone_prints_the_phones_view() -> None:
    proc = run_cli("inject", *TARGET, "--sim-time-scale", "0.2", "--hold", "0.2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0].endswith(": passed")
    assert "the phone's view" in proc.stdout
    assert re.search(r"phone +MicroMsg\.WMPFCaller: tap video call to WMPFSIM", proc.stdout), proc.stdout
    assert re.search(r"phone +MicroMsg\.WMPFCaller: call page ended: .* reason=hung_up_by_listener", proc.stdout)
    assert "call_sent_to_ring" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("caller: phone app on 127.0.0.1:")
