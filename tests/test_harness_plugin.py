"""The plugin's new options and fixtures, run in a child pytest (ports inside this project's test ranges)."""

from __future__ import annotations

import json
import os

import pytest

from harness.device.adb_server import free_server_port

ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000"))

SCENARIO = """
from harness.results.records import CallRecord

def test_session(device_session, timeline, app_profile, results, run_dir):
    assert app_profile.host_package == "com.example.wmpfhost"
    est = device_session.clock.estimate()
    assert est.bound_ms() < 50
    mark = timeline.mark()
    device_session.device.shell("monkey -p com.android.settings -c android.intent.category.LAUNCHER 1")
    line = device_session.logcat.wait_for("^Displayed", 10, since=mark, tag="ActivityTaskManager")
    rec = CallRecord(scenario="plugin_smoke", serial=device_session.serial, model=device_session.model)
    rec.extra["pushToken"] = "SECRET-TOKEN"
    results.write(rec.finish())
    print("RUN_DIR=" + str(run_dir))
"""


def test_fixtures_results_and_latest_link(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SCENARIO)
    port = free_server_port(ADB_PORT + 20)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--adb-port", str(port),
                                           "--sim-base-port", str(DEVICE_PORT + 500), "--report-dir", "out")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*wmpf-hil: app profile WMPF host (simulator)*", "*1 calls: passed 1*"])
    latest = pytester.path / "out" / "latest"
    assert latest.is_symlink()
    rows = [json.loads(x) for x in (latest / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["scenario"] == "plugin_smoke" and rows[0]["model"] == "WMPF Learning Tablet T10"
    assert rows[0]["extra"]["pushToken"] == "***"


def test_invalid_app_profile_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    bad = pytester.path / "bad.toml"
    bad.write_text('[app]\nname = "x"\n', encoding="utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--app-profile", str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*invalid app profile: {bad}: key 'app.host_package': is required*"])


XDIST_SCENARIO = """
import pytest

@pytest.mark.parametrize("i", range(4))
def test_each_worker_has_its_own_device(device_session, results, i):
    from harness.results.records import CallRecord
    results.write(CallRecord(scenario=f"x{i}", serial=device_session.serial,
                             extra={"adb_device": f"{device_session.adb_port}/{device_session.serial}"}))
    print(f"SERIAL={device_session.serial}")
"""


def test_xdist_gives_each_worker_its_own_simulated_device(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_a=XDIST_SCENARIO, test_b=XDIST_SCENARIO)  # two scopes: one per worker
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist", "loadscope",
                                           "--adb-port", str(ADB_PORT + 30), "--sim-base-port",
                                           str(DEVICE_PORT + 600), "--run-dir", "run")
    result.assert_outcomes(passed=8)
    rows = [json.loads(x) for x in (pytester.path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 8  # both workers appended to the one file the controller chose
    # each worker drove its own simulated device, on its own adb server (a serial alone may repeat: with a base
    # port in the ephemeral range both workers' devices start from 61000, and one may reuse the other's port)
    assert len({r["extra"]["adb_device"] for r in rows}) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--sim-time-scale", "0"], "--sim-time-scale 0.0: must be greater than 0"),
    (["--sim-devices", "0"], "--sim-devices 0: must be at least 1"),
    (["--calls", "-3"], "--calls -3: must be at least 1"),
    (["--sim-base-port", "70000"], "--sim-base-port 70000: must be a port from 1024 to 65000"),
    (["--net-capture", "wifi"], "argument --net-capture: invalid choice: 'wifi'"),
])
def test_impossible_options_are_usage_errors_naming_the_option(pytester: pytest.Pytester, args: list[str],
                                                               message: str) -> None:
    pytester.makepyfile(test_x="def test_x(device):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    result.stdout.no_fnmatch_line("*passed*")
