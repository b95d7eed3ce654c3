"""Helpers shared by the harness's own tests (not fixtures of the plugin)."""

from __future__ import annotations

import time

import pytest

from harness.device.session import DeviceSession


def require_wmpf(session: DeviceSession, timeout: float = 15.0) -> None:
    """Wait until WMPF on the simulated device has registered its host app's push listener; fail if it never
    does (the simulator always installs the WMPF model, so a missing listener is a bug, not a reason to skip)."""
    deadline = time.monotonic() + timeout
    while True:
        dump = session.device.shell("logcat -d -s WMPFCli.Device:I WMPF.Service:I")
        if "registerPushMsgEventListener: success" in dump or "setPushMsgCallback: success" in dump:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"WMPF on {session.serial} never registered its push listener within {timeout:g} s")
        time.sleep(0.2)
