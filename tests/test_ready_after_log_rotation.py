"""A device that has been up a while: WMPF's start and listener lines have rotated out of the log ring.

The harness cannot read its readiness back from ``logcat -d`` any more: the doctor says so (information, with
the command that settles it, not a false miss), and a run restarts the host app (which registers
its listeners at start) and the next call rings, instead of waiting out the recovery bound for lines that will
never come (what a second run on a long-running device used to fail with: "not ready for calls").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.call.driver import CallDriver
from harness.call.recovery import wait_ready
from harness.cli.doctor import _listener as listener_check
from harness.device.session import DeviceSession
from harness.device.wmpf import wmpf_state
from harness.results.records import Outcome
from tests.conftest import DEVICE_PORT
from tests.selfcheck_helpers import selfcheck_rig

SCALE = 0.05


def host_pid(session: DeviceSession, package: str) -> str:
    return session.device.shell(f"pidof {package}").strip()


def test_wmpf_running_with_its_start_rotated_out_of_the_log_is_made_ready(adb_server: Any, tmp_path: Path) -> None:
    with selfcheck_rig(adb_server.port, adb_server.adb_path, tmp_path / "truth", base_port=DEVICE_PORT + 2600,
                       time_scale=SCALE) as (_lab, rig):
        session, app = rig.session, rig.profile
        before = host_pid(session, app.host_package)
        assert listener_check(rig).ok is True
        session.device.shell("logcat -b all -c")  # what days of other apps' logging do to the ring
        check = listener_check(rig)  # the doctor cannot tell, and says why and what to do (not a false MISS)
        assert check.ok is None and "rotated out of the log buffer" in check.detail, check
        assert f"am start -n {app.host_component}" in check.detail
        wait_ready(rig)
        assert listener_check(rig).ok is True
        assert host_pid(session, app.host_package) not in ("", before), "the host app was not restarted"
        assert wmpf_state(session, app.wmpf_package).running
        record = CallDriver(rig, "after-rotation").run(hang_up="device", hold_s=0.0)
        assert record.outcome is Outcome.PASSED, record.error
