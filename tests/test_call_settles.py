"""A failed call's page closes by itself; the next call waits for it to be gone.

On an app whose end mode is ``exit``, the call page of a call the caller never joined aborts, ends, and a moment
later (finishVoip) exits the Mini Program's process. A next call answered in that moment warm-starts into the
dying process and its page dies with the old one: a product failure the harness made. The clean-up waits for
the failed call's end mode before the next call (seen in CI on lumen-tab-user's caller-never-joins follow-up).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.call.driver import CallDriver
from harness.callers.lab_faults import LabFaults
from harness.callers.phone import Phone
from harness.results.records import Outcome, Stage
from tests.conftest import DEVICE_PORT
from tests.selfcheck_helpers import selfcheck_rig

SCALE = 0.2
# The failed call's page exits ~240 ms after its endVoip here (finishVoip 200 ms, then the exit), while the next
# call's page, answered ~150 ms after that endVoip, is still warm-starting (600 ms) in the same process.
SLOW_EXIT = {"call": {"end_mode": "exit", "finish_voip": "always"},
             "timing": {"finish_voip_ms": {"dist": "fixed", "value": 1000},
                        "warm_start_ms": {"dist": "fixed", "value": 3000}}}


def test_the_next_call_waits_for_a_failed_calls_page_to_exit(adb_server: Any, tmp_path: Path) -> None:
    with selfcheck_rig(adb_server.port, adb_server.adb_path, tmp_path / "truth", base_port=DEVICE_PORT + 2650,
                       time_scale=SCALE, overrides=SLOW_EXIT, app_profile="wmpf-tablet-exit") as (lab, rig):
        assert lab.simulator is not None
        faults = LabFaults(Phone(lab.simulator.devices[0].phone or ""), lab.simulator.devices[0].sn).probe()
        driver = CallDriver(rig, "settle")
        faults.caller_plan(joins=False)
        try:
            with driver.call(expect_failure=Stage.NOT_CONNECTED) as c:
                c.place()
                c.wait_ring()
                c.answer()
                c.wait_connected()
        finally:
            faults.restore()
        assert c.record.stage is Stage.NOT_CONNECTED, c.record.to_dict()
        follow_up = driver.run(hang_up="device", hold_s=0.0)
        assert follow_up.outcome is Outcome.PASSED, follow_up.to_dict()
