"""Calls that are not simply answered: declined, cancelled by the caller, unanswered, never joined, busy.

Each asserts what the device must do (the documented onVoipEvent sequences) and that it is ready for the
next call afterwards. Runs unchanged on a real device; the caller-never-joins case needs a lab that can keep
the caller out of the room (the lab-faults interface's caller plan: the simulator, or a lab's injector).
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
from harness.callers.lab_faults import LabFaults
from harness.results.records import Outcome, Stage

pytestmark = pytest.mark.wmpf_scenario


def test_device_declines(call: CallDriver) -> None:
    with call.call() as c:
        c.place()
        c.wait_ring()
        c.decline()
    assert c.record.outcome is Outcome.PASSED, c.record.error
    assert c.record.extra["end"] == "rejected"
    state = c.caller_state()
    if state is not None and state.get("endReason") is not None:
        assert state["endReason"] == "rejected", state


@pytest.mark.needs_cancel
@pytest.mark.needs_connect
def test_caller_cancels_before_answer(call: CallDriver) -> None:
    with call.call() as c:
        c.place()
        c.wait_ring()
        c.caller_cancel()
        seen = c.expect_device_drops_call(["voip:cancelVoip"])
    assert c.record.outcome is Outcome.PASSED, c.record.error
    assert seen in ("voip:cancelVoip", "voip:joinFailListener", "voip:endVoip")
    state = c.caller_state()
    if state is not None and state.get("endReason") is not None:
        assert state["endReason"] == "cancelled", state
    assert call.run().outcome is Outcome.PASSED, "the next call after a cancelled one did not pass"


@pytest.mark.needs_connect
def test_ring_timeout(call: CallDriver) -> None:
    """Nobody answers: the call ends by itself at the caller's 60 s ring timeout (scaled on the simulator)."""
    with call.call() as c:
        c.place()
        c.wait_ring()
        c.wait_unanswered()
    assert c.record.outcome is Outcome.PASSED, c.record.error
    assert c.record.extra["end"] == "timeout"
    assert call.run().outcome is Outcome.PASSED, "the next call after an unanswered one did not pass"


@pytest.mark.needs_connect
@pytest.mark.needs_caller_plan
@pytest.mark.failure_proof
def test_caller_never_joins(call: CallDriver, lab_faults: LabFaults) -> None:
    """The device answers, the caller never joins: the plugin aborts after 20 s; the harness says not_connected."""
    lab_faults.caller_plan(joins=False)
    try:
        with call.call(expect_failure=Stage.NOT_CONNECTED) as c:
            c.place()
            c.wait_ring()
            c.answer()
            c.wait_connected()
    finally:
        lab_faults.restore()
    assert c.record.outcome is Outcome.FAILED and c.record.stage is Stage.NOT_CONNECTED, c.record.to_dict()
    assert "waitOtherToJoin timeout" in (c.record.error or ""), c.record.error
    assert call.run().outcome is Outcome.PASSED, "the next call after a join timeout did not pass"


@pytest.mark.needs_connect
@pytest.mark.needs_concurrent_calls
def test_busy_second_call(call: CallDriver) -> None:
    """A second call during a call is refused busy; the first call goes on undisturbed."""
    with call.call() as first:
        first.place()
        first.wait_ring()
        first.answer()
        first.wait_connected()
        with call.call() as second:
            second.place()
            second.expect_busy()
        first.hold()
        first.hang_up("device")
    assert second.record.outcome is Outcome.PASSED, second.record.error
    assert first.record.outcome is Outcome.PASSED, first.record.error
    state = second.caller_state()
    if state is not None:
        assert state["endReason"] == "busy"
