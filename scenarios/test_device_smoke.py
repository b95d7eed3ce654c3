"""Smoke scenario: the device under test answers over adb the way a lab needs before any call scenario.

Runs unchanged on a real device (``--serial``) and on the simulated one (the default).
"""

from __future__ import annotations

import adbutils


def test_device_identifies_itself(device: adbutils.AdbDevice) -> None:
    model = device.prop.model
    sdk = device.getprop("ro.build.version.sdk")
    assert model, "ro.product.model is empty"
    assert sdk.isdigit() and int(sdk) >= 25, f"WMPF needs Android 7.1 (API 25) or later, device reports {sdk!r}"


def test_shell_reports_exit_codes(device: adbutils.AdbDevice) -> None:
    ok = device.shell2("echo ready")
    assert (ok.returncode, ok.output.strip()) == (0, "ready")
    assert device.shell2("sh -c 'exit 3'").returncode == 3


def test_wmpf_is_installed(device: adbutils.AdbDevice) -> None:
    packages = device.shell("pm list packages com.tencent.wmpf")
    assert "package:com.tencent.wmpf" in packages.splitlines(), "WMPF (com.tencent.wmpf) is not installed"


def test_logcat_has_lines(device: adbutils.AdbDevice) -> None:
    dump = device.shell("logcat -d -v threadtime -t 50")
    assert dump.strip(), "logcat -d returned nothing"


def test_screenshot_is_png(device: adbutils.AdbDevice) -> None:
    with device.shell("screencap -p", stream=True) as conn:
        data = conn.read_until_close(encoding=None)
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"screencap -p did not return a PNG (got {data[:16]!r})"
