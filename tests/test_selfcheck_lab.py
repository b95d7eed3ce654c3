"""Self-check of the lab side: a device whose adb link dies mid-call gives that call ``lab_error`` (never a
product failure), the link is brought back by the lab retries (counted), and the next call passes.
"""

from __future__ import annotations

from pathlib import Path

from harness.call.driver import CallDriver
from harness.results.records import Outcome
from tests.conftest import DEVICE_PORT
from tests.selfcheck_helpers import selfcheck_rig


def test_adb_link_killed_mid_call_is_a_lab_error_and_the_next_call_passes(adb_server, tmp_path: Path) -> None:
    with selfcheck_rig(adb_server.port, adb_server.adb_path, tmp_path / "truth",
                       base_port=DEVICE_PORT + 860) as (lab, rig):
        assert lab.simulator is not None
        sim = lab.simulator
        driver = CallDriver(rig, "adb link killed mid-call")
        with driver.call() as broken:
            broken.place()
            broken.wait_ring()
            broken.answer()
            broken.wait_connected()
            sim.call(lambda: sim.device(0).drop_links())  # out of band, like pulling the USB cable
            broken.hold(5.0)
        assert broken.record.outcome is Outcome.LAB_ERROR, broken.record.to_dict()
        assert broken.record.stage is None
        after = driver.run()
        assert after.outcome is Outcome.PASSED, after.to_dict()
        assert broken.record.retries + after.retries >= 1, "the reconnect was not counted as a lab retry"
