"""WMPF dying: killed before a call (it must come back and the next call ring), killed mid-call, and the two
ways a host app loses calls — no lifecycle listener (nobody restarts WMPF) and a push listener registered late.

The last two exist to prove the harness catches the failure: they pass when the call is recorded
``push_not_received``. Faults come through the lab-faults interface (the simulator's, or a lab fault
injector); without one those scenarios skip, naming the capability.
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
from harness.call.recovery import kill_and_recover, kill_wmpf, restart_host_app, wait_recovered
from harness.callers.lab_faults import LabFaults
from harness.results.records import Outcome, Stage

pytestmark = [pytest.mark.wmpf_scenario, pytest.mark.recovery, pytest.mark.needs_connect]


@pytest.mark.parametrize("method", ["kill9", "force_stop"])
def test_wmpf_killed_before_a_call(call: CallDriver, method: str) -> None:
    with call.call() as c:
        recovery = c.stamp_recovery(kill_and_recover(call.rig, method))
        c.place()
        c.wait_ring()
        c.answer()
        c.wait_connected()
        c.hold()
        c.hang_up("device")
    assert c.record.outcome is Outcome.PASSED, c.record.error
    assert recovery.new_pid != recovery.kill.old_pid
    assert "wmpf_recovery" in c.record.latencies
    assert 0 < c.record.latencies["wmpf_recovery"].ms < call.rig.bound("wmpf_recovery") * 1000


@pytest.mark.failure_proof
def test_wmpf_killed_mid_call(call: CallDriver) -> None:
    """The connected call drops (the harness says ``dropped``); WMPF comes back and the next call rings."""
    since = call.rig.timeline.mark()
    with call.call(expect_failure=Stage.DROPPED) as c:
        c.place()
        c.wait_ring()
        c.answer()
        c.wait_connected()
        kill = kill_wmpf(call.rig, "kill9")
        c.hold()
    assert c.record.outcome is Outcome.FAILED and c.record.stage is Stage.DROPPED, c.record.to_dict()
    wait_recovered(call.rig, kill, since)
    state = c.caller_state()
    if state is not None:
        assert state["state"] == "ended", state
    assert call.run().outcome is Outcome.PASSED, "the call after WMPF came back did not pass"


@pytest.mark.needs_faults
@pytest.mark.failure_proof
def test_lifecycle_listener_off_loses_calls(call: CallDriver, lab_faults: LabFaults) -> None:
    """Without a lifecycle listener nobody restarts a killed WMPF: the push is lost (push_not_received)."""
    lab_faults.set("lifecycle_listener_off", True)
    try:
        with call.call(expect_failure=Stage.PUSH_NOT_RECEIVED) as c:
            kill_wmpf(call.rig, "kill9")
            c.place()
            c.wait_ring()
        assert c.record.outcome is Outcome.FAILED, c.record.to_dict()
        assert c.record.stage is Stage.PUSH_NOT_RECEIVED, c.record.to_dict()
    finally:
        lab_faults.restore()
        restart_host_app(call.rig)
    assert call.run().outcome is Outcome.PASSED, "the call after restarting the host app did not pass"


@pytest.mark.needs_faults
@pytest.mark.failure_proof
def test_listener_registered_late(call: CallDriver, lab_faults: LabFaults) -> None:
    """A call placed before the host app registered its push listener is lost; one placed after rings."""
    lab_faults.set("listener_late_ms", 20000)
    rig = call.rig
    try:
        since = restart_host_app(rig, wait=False)
        if rig.profile.has_pattern("wmpf_activated"):
            rig.timeline.wait("wmpf_activated", rig.bound("wmpf_recovery"), since=since)
        with call.call(expect_failure=Stage.PUSH_NOT_RECEIVED) as early:
            early.place()
            early.wait_ring()
        assert early.record.outcome is Outcome.FAILED, early.record.to_dict()
        assert early.record.stage is Stage.PUSH_NOT_RECEIVED, early.record.to_dict()
        rig.timeline.wait("listener_registered", rig.bound("wmpf_recovery"), since=since)
    finally:
        lab_faults.restore()
    assert call.run().outcome is Outcome.PASSED, "the call after the listener registered did not pass"
