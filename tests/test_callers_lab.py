"""The whole scenario suite the way a lab runs it, against the simulator, through each kind of caller.

``wmpf-hil sim --devices 1 --phones 2`` stands in for a lab's WMPF device and its phones running WeChat, on an
isolated adb server; ``pytest scenarios --serial DEV --caller-serial PHONE`` (app and caller profiles named)
must then pass, report the expected failure stage, or skip naming the missing capability — no errors; with
the second phone (``--caller-serial`` twice) the busy scenario's second call comes from it. With
the broadcast caller every scenario that needs a connected call skips, by capability.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.conditions.catalog import CONDITIONS, SLOW
from harness.device.adb_server import AdbServer
from tests.conftest import ADB_PORT, DEVICE_PORT

ROOT = Path(__file__).resolve().parents[1]
SIM_TIME_SCALE = 0.1
# A --serial run takes the device for hardware (time scale 1), so a field condition's network drop lasts its
# off_s in host seconds, while the simulated room times out at SIM_TIME_SCALE of its device seconds: give the drops
# in the device's time (the default 8 s of device time) so they mean on this device what they mean on hardware.
CONDITIONS_ON_THIS_DEVICE = ["--conditions", ",".join(
    f"{name}:off_s={8.0 * SIM_TIME_SCALE:g}" if name in ("wifi_drop", "airplane") else name
    for name in CONDITIONS if name not in SLOW)]


@pytest.fixture(scope="module")
def sim_lab(adb_server: AdbServer) -> Iterator[list[dict]]:
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "sim", "--devices", "1", "--phones", "2",
                             "--adb-port", str(adb_server.port), "--adb", adb_server.adb_path,
                             "--base-port", str(DEVICE_PORT + 2100), "--time-scale", str(SIM_TIME_SCALE)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=adb_server.env)
    try:
        assert proc.stdout is not None
        lines = [json.loads(proc.stdout.readline()) for _ in range(3)]
        yield lines
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def run_suite(tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[ET.Element]]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-q", "-rs",
                           "--calls", "2", "--run-dir", str(tmp / "run"), "--junitxml", str(tmp / "junit.xml"),
                           *args], capture_output=True, text=True, timeout=900, cwd=ROOT)
    cases = list(ET.parse(tmp / "junit.xml").getroot().iter("testcase")) if (tmp / "junit.xml").exists() else []
    return proc, cases


def outcome(case: ET.Element) -> tuple[str, str]:
    for kind in ("error", "failure", "skipped"):
        found = case.find(kind)
        if found is not None:
            return kind, found.get("message", "")
    return "passed", ""


@pytest.mark.parametrize("phones", [1, 2])
def test_whole_suite_through_the_phone_app_caller_on_a_lab(sim_lab: list[dict], adb_server: AdbServer,
                                                           tmp_path: Path, phones: int) -> None:
    device = next(d for d in sim_lab if d["role"] == "device")
    serials = [arg for d in sim_lab if d["role"] == "phone" for arg in ("--caller-serial", d["serial"])]
    proc, cases = run_suite(tmp_path, "--serial", device["serial"], *serials[:2 * phones],
                            "--adb-port", str(adb_server.port), "--app-profile", "wmpf-sim-tablet",
                            "--caller-profile", "sim-wechat", *CONDITIONS_ON_THIS_DEVICE)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert len(cases) >= 40
    for case in cases:
        kind, message = outcome(case)
        assert kind in ("passed", "skipped"), (case.get("name"), kind, message)
        if kind == "skipped":
            # names the missing capability (a caller's or lab's 'needs X', the app profile's 'capability: ...'),
            # or is the soak, which runs only when asked for
            assert "needs " in message or message.startswith(("capability:", "no soak asked for")), \
                (case.get("name"), message)
    busy = next(c for c in cases if c.get("name") == "test_busy_second_call")
    assert outcome(busy)[0] == ("passed" if phones == 2 else "skipped"), outcome(busy)
    if phones == 1:
        assert "--caller-serial twice" in outcome(busy)[1], outcome(busy)
    auto = next(c for c in cases if c.get("name") == "test_auto_answer")  # the host app's notification path
    assert outcome(auto)[0] == "passed", outcome(auto)
    lines = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    records = [r for r in lines if "outcome" in r]  # records (not the calls' progress marks)
    assert records and all(r["extra"].get("caller") in ("phone app", "broadcast") for r in records)
    for record in records:
        assert record["outcome"] == "passed" or record["extra"].get("expect_failure"), record
        if record["outcome"] == "passed" and record["extra"]["caller"] == "phone app" \
                and "ring_shown" in record["events"]:  # (a busy call never rings)
            assert {"push_to_ring", "tap_to_call_sent", "call_sent_to_ring"} <= set(record["latencies"]), record
            assert record["events"]["placed"]["source"] == "host"
            assert record["events"]["phone_call_sent"]["source"] == "phone"


def test_suite_with_the_broadcast_caller_skips_every_connected_call_by_capability(tmp_path: Path) -> None:
    proc, cases = run_suite(tmp_path, "--caller", "broadcast", "--sim-time-scale", "0.1",
                            "--adb-port", str(ADB_PORT + 620), "--sim-base-port", str(DEVICE_PORT + 1800))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    skipped = {c.get("name"): outcome(c)[1] for c in cases if outcome(c)[0] == "skipped"}
    connected = [n for n in skipped if n.startswith(("test_video_call", "test_voice_call", "test_series",
                                                      "test_wmpf_killed", "test_ring_timeout", "test_busy"))]
    assert len(connected) >= 8, skipped
    for name, message in skipped.items():
        assert message.startswith(("needs connect", "needs hang_up", "needs raw_push")) \
            or "needs connect" in message, (name, message)
    assert all(outcome(c)[0] in ("passed", "skipped") for c in cases)
    passed = [c.get("name") for c in cases if outcome(c)[0] == "passed"]
    assert any(n.startswith("test_malformed_push_by_broadcast") for n in passed), passed
    assert "test_device_declines" in passed


def test_an_absent_caller_phone_is_one_lab_error_at_start(sim_lab: list[dict], adb_server: AdbServer,
                                                          tmp_path: Path) -> None:
    device = next(d for d in sim_lab if d["role"] == "device")
    proc, _cases = run_suite(tmp_path, "--serial", device["serial"], "--caller-serial", "NO-SUCH-PHONE",
                            "--adb-port", str(adb_server.port), "--app-profile", "wmpf-sim-tablet",
                            "--caller-profile", "sim-wechat")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out[-3000:]
    lines = [line for line in out.splitlines() if "device NO-SUCH-PHONE is not connected" in line]
    assert len(lines) == 1 and "lab error: the caller (phone app on NO-SUCH-PHONE" in lines[0], out[-3000:]
