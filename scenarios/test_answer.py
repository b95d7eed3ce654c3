"""Answering: a video call answered by a tap, a voice call, and auto-answer (``isClickedHangOnBtn=1``).

Each call is timed on the device clock (push_to_ring, ring_to_answer, tap_to_answer, answer_to_connect,
push_to_connect) and recorded in results.jsonl. Runs unchanged on a real device (``--serial``).
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
from harness.pytest_plugin.variants import Variants
from harness.results.records import Outcome

pytestmark = pytest.mark.wmpf_scenario


@pytest.mark.needs_connect
def test_video_call_answered_by_tap(call: CallDriver) -> None:
    record = call.run(room_type="video", answer="tap", hang_up="device")
    assert record.outcome is Outcome.PASSED, record.error
    for name in ("push_to_ring", "ring_to_answer", "tap_to_answer", "harness_reaction", "answer_to_connect",
                 "push_to_connect"):
        assert name in record.latencies, f"{name} missing from the record"
    assert record.latencies["tap_to_answer"].ms <= record.latencies["ring_to_answer"].ms
    assert record.offset_bound_ms is not None and record.offset_bound_ms < 50
    assert record.extra.get("hung_up_by") == "endByListener"


@pytest.mark.needs_connect
@pytest.mark.needs_hang_up
def test_voice_call_hung_up_by_caller(call: CallDriver) -> None:
    record = call.run(room_type="voice", answer="tap", hang_up="phone")
    assert record.outcome is Outcome.PASSED, record.error
    assert record.extra.get("hung_up_by") == "endByCaller"


@pytest.mark.needs_connect
@pytest.mark.needs_auto_answer
def test_auto_answer(call: CallDriver, variants: Variants) -> None:
    """The push carries isClickedHangOnBtn=1: the call page answers by itself, no tap.

    On the simulator the device is a variant whose host app opens the call page directly (the host app's own
    incoming screen would ring first); on hardware, the device under test as it is.
    """
    rig = variants.start({"host_app": {"incoming_ui": "direct"}}) if variants.simulated else call.rig
    record = call.on(rig).run(answer="auto", hang_up="device")
    assert record.outcome is Outcome.PASSED, record.error
    assert "tap_to_answer" not in record.latencies
    assert "ring_to_answer" in record.latencies
