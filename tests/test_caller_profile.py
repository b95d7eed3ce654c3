"""Caller profiles and choosing the caller: every mistake is one line naming the file and key (or, on the phone,
the selector and what the phone shows), said once at start — never one error per test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.call.caller_setup import CallerOptions, CallerUsageError, choose
from harness.config.app_profile import load_profile
from harness.config.caller_profile import SIM_PROFILE, fill, load_caller_profile
from harness.errors import CallerProfileError
from tests.conftest import ADB_PORT, DEVICE_PORT

ROOT = Path(__file__).resolve().parents[1]
GOOD = SIM_PROFILE.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "caller.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_simulators_caller_profile_loads() -> None:
    profile = load_caller_profile("sim-wechat")
    assert profile.source.endswith("fixtures/callers/sim-wechat.toml")
    assert profile.open.am_start and profile.open.am_start.startswith("am start ")
    assert fill(profile.selector("choose_device"), sn="WMPFSIM0000", name="x") == ({"textContains": "(WMPFSIM0000)"},)


@pytest.mark.parametrize(("change", "key", "problem"), [
    (("[ui]\n", "[ui]\nbogus = { text = 'x' }\n"), "ui.bogus", "unknown key"),
    (("[caller]\n", "[caller]\ncolour = 'red'\n"), "caller.colour", "unknown key"),
    (('calling = { resourceId = "com.tencent.mm:id/voip_status", textStartsWith = "Calling" }',
      'calling = { textMatches = "Calling(" }'), "ui.calling", "not a valid regular expression"),
    (('choose_device = { textContains = "({sn})" }', 'choose_device = { textContains = "{serial}" }'),
     "ui.choose_device", "unknown placeholder {serial}"),
    (('cancel = { resourceId = "com.tencent.mm:id/voip_cancel" }', 'cancel = { resourceID = "x" }'),
     "ui.cancel", "unknown selector key 'resourceID'"),
    (("roomId=(?P<room>\\S+)", "roomId=\\S+"), "patterns.call_placed.regex", "(?P<room>...)"),
    (('hang_up = { resourceId = "com.tencent.mm:id/voip_hangup" }\n', ""), "ui.hang_up", "is required"),
    (("[open]", "[open]\ntaps = [{ text = 'WMPF Caller' }]"), "open", "exactly one of am_start"),
])
def test_a_bad_caller_profile_names_file_key_and_problem(tmp_path: Path, change: tuple[str, str], key: str,
                                                         problem: str) -> None:
    assert change[0] in GOOD, change[0]
    path = write(tmp_path, GOOD.replace(change[0], change[1], 1))
    with pytest.raises(CallerProfileError) as info:
        load_caller_profile(path)
    line = str(info.value).splitlines()[0]
    assert line.startswith(f"{path}: key '{key}'"), line
    assert problem in line, line


def test_choosing_the_caller() -> None:
    app = load_profile()
    assert choose(CallerOptions(), app, simulated=True).kind == "phone_app"
    assert choose(CallerOptions(phone_url="http://127.0.0.1:1"), app, simulated=False).kind == "phone_bot"
    real = choose(CallerOptions(caller_serial="PHONE", caller_profile="sim-wechat"), app, simulated=False)
    assert (real.kind, real.caller_serial) == ("phone_app", "PHONE")
    with pytest.raises(CallerUsageError, match=r"no caller configured .* --caller-serial PHONE --caller-profile"):
        choose(CallerOptions(), app, simulated=False)
    with pytest.raises(CallerUsageError, match="needs --caller-profile"):
        choose(CallerOptions(caller_serial="PHONE"), app, simulated=False)
    assert choose(CallerOptions(kind="broadcast"), app, simulated=False).kind == "broadcast"


def pytest_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_a_run_with_a_bad_caller_profile_is_one_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("[ui]\n", "[ui]\nbogus = 1\n"))
    proc = pytest_run("scenarios", "--caller-profile", str(path), "--co")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert f"{path}: key 'ui.bogus': unknown key" in proc.stderr
    assert proc.stderr.count("ui.bogus") == 1


def test_a_real_lab_run_without_a_caller_is_one_usage_error_before_any_test(make_sim, adb_server) -> None:
    device = make_sim().devices[0]  # a device on the lab's adb server, and no caller named
    proc = pytest_run("scenarios", "--serial", device.serial, "--app-profile", "wmpf-sim-tablet",
                      "--adb-port", str(adb_server.port))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "no caller configured for the device under test: pass --caller-serial PHONE" in proc.stderr
    assert "passed" not in proc.stdout and "error" not in proc.stdout.lower()


def test_a_selector_matching_nothing_on_the_phone_is_one_lab_error_showing_the_screen(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('{ textContains = "({sn})" }', '{ textContains = "no such device {sn}" }'))
    proc = pytest_run("scenarios/test_answer.py", "scenarios/test_unanswered.py", "--caller-profile", str(path),
                      "--sim-time-scale", "0.1", "--adb-port", str(ADB_PORT + 640),
                      "--sim-base-port", str(DEVICE_PORT + 1900), "--run-dir", str(tmp_path / "run"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    lines = [line for line in out.splitlines() if "matches nothing on the phone" in line]
    assert len(lines) == 1, out
    assert f"{path}: key 'ui.choose_device': selector {{'textContains': 'no such device WMPFSIM0000'}}" in lines[0]
    assert "the phone shows: com.tencent.mm: 'Call a device'" in lines[0]
    assert "'WMPF Learning Tablet (WMPFSIM0000)'" in lines[0]


def test_a_step_the_caller_lacks_without_a_marker_is_a_skip_naming_it(tmp_path: Path) -> None:
    (tmp_path / "test_unmarked.py").write_text(
        "def test_named_caller(call):\n"
        "    with call.call() as c:\n"
        "        c.place(caller_name='someone')\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path / "test_unmarked.py"), "-p", "no:cacheprovider",
                           "-q", "-rs", "--sim-time-scale", "0.1", "--adb-port", str(ADB_PORT + 660),
                           "--sim-base-port", str(DEVICE_PORT + 1950), "--run-dir", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    out = proc.stdout + proc.stderr
    assert "1 skipped" in out and " error" not in out.lower().replace("lab_error", ""), out
    assert "needs caller_name: the phone app caller cannot choose the caller's name" in out, out
    records = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    records = [r for r in records if "outcome" in r]
    assert len(records) == 1 and records[0]["error"].startswith("not run: needs caller_name"), records
