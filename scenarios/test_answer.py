"""Answering: a video call answered by a tap, a voice call, and auto-answer (``isClickedHangOnBtn=1``).

Each call is timed on the device clock (push_to_ring, ring_to_answer, tap_to_answer, answer_to_connect,
push_to_connect) and recorded in results.jsonl. Runs unchanged on a real device (``--serial``).
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
from harness.results.records import Outcome

pytestmark = pytest.mark.wmpf_scenario


def _needs_a_tap(call: CallDriver) -> None:
    if call.rig.profile.answer == "auto":
        pytest.skip("capability: answering by tap -- this app answers every call by itself (call.answer = 'auto')")


@pytest.mark.needs_connect
def test_video_call_answered_by_tap(call: CallDriver) -> None:
    _needs_a_tap(call)
    record = call.run(room_type="video", answer="tap", hang_up="device")
    assert record.outcome is Outcome.PASSED, record.error
    for name in ("push_to_ring", "ring_to_answer", "tap_to_answer", "harness_reaction", "answer_to_connect",
                 "push_to_connect"):
        assert name in record.latencies, f"{name} missing from the record"
    assert record.latencies["tap_to_answer"].ms <= record.latencies["ring_to_answer"].ms
    assert record.offset_bound_ms is not None and record.offset_bound_ms < 50
    if call.rig.profile.logs_detail("status"):  # only an app that logs hangUpVoip's status can say who
        assert record.extra.get("hung_up_by") == "endByListener"


@pytest.mark.needs_connect
@pytest.mark.needs_hang_up
def test_voice_call_hung_up_by_caller(call: CallDriver) -> None:
    record = call.run(room_type="voice", hang_up="phone")  # answered as the app answers (tap or by itself)
    assert record.outcome is Outcome.PASSED, record.error
    if call.rig.profile.logs_detail("status"):
        assert record.extra.get("hung_up_by") == "endByCaller"


@pytest.mark.needs_connect
def test_auto_answer(call: CallDriver) -> None:
    """Auto-answer as call-wmpf.html §2.3 describes: the host app shows its own incoming notification, and
    answering it launches the Mini Program with ``&isClickedHangOnBtn=1``, so the call page answers by itself
    (no second tap; nothing is asked of the caller). An app that answers by itself (``call.answer = "auto"``,
    a kiosk) is left to do so.
    """
    profile = call.rig.profile
    if profile.answer == "auto":
        record = call.run(answer="auto", hang_up="device")
        assert "tap_to_answer" not in record.latencies
    else:
        if profile.incoming_ui != "host" or profile.ui.notification_answer is None:
            pytest.skip("capability: host incoming notification -- this app opens the call page directly "
                        "(app profile call.incoming_ui / ui.notification_answer)")
        record = call.run(answer="notification", hang_up="device")
        assert record.extra.get("answered_via") == "notification"
    assert record.outcome is Outcome.PASSED, record.error
    assert "ring_to_answer" in record.latencies
