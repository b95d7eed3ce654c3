"""Calls that are not simply answered: declined, cancelled by the caller, unanswered, never joined, busy.

Each asserts what the device must do (the documented onVoipEvent sequences) and that it is ready for the
next call afterwards. Runs unchanged on a real device; the caller-never-joins case needs the simulated
phone's ``_sim`` option or a lab phone bot that can stay out of the room.
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
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
    if state is not None:
        assert state["endReason"] == "rejected"


@pytest.mark.needs_phone
def test_caller_cancels_before_answer(call: CallDriver) -> None:
    with call.call() as c:
        c.place()
        c.wait_ring()
        c.caller_cancel()
        seen = c.expect_device_drops_call(["voip:cancelVoip"])
    assert c.record.outcome is Outcome.PASSED, c.record.error
    assert seen in ("voip:cancelVoip", "voip:joinFailListener", "voip:endVoip")
    assert c.caller_state()["endReason"] == "cancelled"
    assert call.run().outcome is Outcome.PASSED, "the next call after a cancelled one did not pass"


@pytest.mark.needs_phone
def test_ring_timeout(call: CallDriver) -> None:
    """Nobody answers: the call ends by itself at the caller's 60 s ring timeout (scaled on the simulator)."""
    with call.call() as c:
        c.place()
        c.wait_ring()
        c.wait_unanswered()
    assert c.record.outcome is Outcome.PASSED, c.record.error
    assert c.record.extra["end"] == "timeout"
    assert call.run().outcome is Outcome.PASSED, "the next call after an unanswered one did not pass"


@pytest.mark.needs_phone
@pytest.mark.needs_faults
@pytest.mark.failure_proof
def test_caller_never_joins(call: CallDriver) -> None:
    """The device answers, the caller never joins: the plugin aborts after 20 s; the harness says not_connected."""
    if call.rig.phone is None:
        pytest.skip("needs a phone API that can keep the caller out of the room")
    with call.call(expect_failure=Stage.NOT_CONNECTED) as c:
        c.place(sim={"callerJoins": False})
        c.wait_ring()
        c.answer()
        c.wait_connected()
    assert c.record.outcome is Outcome.FAILED and c.record.stage is Stage.NOT_CONNECTED, c.record.to_dict()
    assert "waitOtherToJoin timeout" in (c.record.error or ""), c.record.error
    assert call.run().outcome is Outcome.PASSED, "the next call after a join timeout did not pass"


@pytest.mark.needs_phone
def test_busy_second_call(call: CallDriver) -> None:
    """A second call during a call is refused busy; the first call goes on undisturbed."""
    with call.call() as first:
        first.place(caller_name="first caller")
        first.wait_ring()
        first.answer()
        first.wait_connected()
        with call.call() as second:
            second.place(caller_name="second caller")
            second.expect_busy()
        first.hold()
        first.hang_up("device")
    assert second.record.outcome is Outcome.PASSED, second.record.error
    assert first.record.outcome is Outcome.PASSED, first.record.error
    state = second.caller_state()
    if state is not None:
        assert state["endReason"] == "busy"
