"""The pytest plugin: `device` is a simulated device by default and the named real device with --serial."""

from __future__ import annotations

import pytest

from harness.device.adb_server import AdbServer, free_server_port

SCENARIO = """
def test_model(device):
    print("MODEL=" + device.prop.model + " SERIAL=" + device.serial)
    assert device.shell2("sh -c 'exit 7'").returncode == 7
"""


def test_default_device_is_simulated_on_an_isolated_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SCENARIO)
    port = free_server_port(15900)
    result = pytester.runpytest_subprocess("-s", "--adb-port", str(port), "--sim-devices", "1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MODEL=WMPF Learning Tablet T10 SERIAL=127.0.0.1:*"])


def test_serial_selects_an_existing_device(pytester: pytest.Pytester, sim, adb_server: AdbServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(SCENARIO)
    serial = sim.devices[0].serial
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(adb_server.port))
    result = pytester.runpytest_subprocess("-s", "--serial", serial)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*SERIAL={serial}*"])


def test_unknown_serial_is_a_clear_error(pytester: pytest.Pytester, adb_server: AdbServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(SCENARIO)
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(adb_server.port))
    result = pytester.runpytest_subprocess("--serial", "NO-SUCH-DEVICE")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # one line at start, not an error per scenario
    result.stderr.fnmatch_lines(["*--serial NO-SUCH-DEVICE: not an online device on the adb server at port*"])
    assert not (pytester.path / "reports").exists()
