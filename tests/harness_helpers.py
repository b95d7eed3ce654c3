"""Helpers shared by the harness's own tests (not fixtures of the plugin)."""

from __future__ import annotations

import time

import pytest

from harness.device.session import DeviceSession


def require_wmpf(session: DeviceSession, timeout: float = 15.0) -> None:
    """Skip unless the simulated device runs the WMPF model (its host app has registered its push listener)."""
    deadline = time.monotonic() + timeout
    while True:
        dump = session.device.shell("logcat -d -s WMPFCli.Device:I WMPF.Service:I")
        if "registerPushMsgEventListener: success" in dump or "setPushMsgCallback: success" in dump:
            return
        if "WMPF.Service" not in dump and time.monotonic() > deadline - timeout + 3:
            pytest.skip("the simulated device runs no WMPF model: simulator.Simulator does not install "
                        "simulator.wmpf yet (issue 3)")
        if time.monotonic() > deadline:
            pytest.fail(f"WMPF on {session.serial} never registered its push listener within {timeout:g} s")
        time.sleep(0.2)
