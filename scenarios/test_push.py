"""Malformed pushes are ignored: the app logs why, nothing rings, and the next real call still does.

Pushes go in by the debug build's broadcast (the app profile's ``[broadcast]``) and, when the phone API has
a control endpoint, through WMPF's own push channel.
"""

from __future__ import annotations

import json

import pytest

from harness.driver import CallDriver
from harness.errors import WaitTimeout
from harness.injectors import BroadcastInjector
from harness.lab_faults import LabFaults
from harness.push import CALL_PAGE_PATH
from harness.records import Outcome
from harness.rig import Rig

pytestmark = pytest.mark.wmpf_scenario

MALFORMED = {
    "not_json": '{"path": "plugin-private://wxf830863afde621eb/pages/call-page-plugin/call-page-plugin?',
    "json_array": "[1, 2, 3]",
    "empty": "",
    "other_mini_program": json.dumps({"path": "pages/index/index?roomType=video", "appType": 0,
                                      "appid": "wx0123456789abcdef"}),
    "empty_appid": json.dumps({"path": CALL_PAGE_PATH + "?roomType=video&groupId=g1&listenerId=x&callerName=y",
                               "appType": 0, "appid": ""}),
    "oversized": json.dumps({"path": CALL_PAGE_PATH + "?roomType=video&groupId=g2&listenerId=x&callerName=y&pad="
                             + "x" * 6000, "appType": 0, "appid": "wx0123456789abcdef"}),
}


def _expect_ignored_without_ring(rig: Rig, since: int, what: str) -> None:
    try:
        ignored = rig.timeline.wait("push_ignored", rig.bound("push_to_ring"), since=since)
    except WaitTimeout:
        pytest.fail(f"the app did not log ignoring the {what} push within {rig.bound('push_to_ring'):g} s")
    assert ignored.data.get("reason"), ignored
    with pytest.raises(WaitTimeout):
        event = rig.timeline.wait_first(["ring_shown", "voip:callPageOnShow"], rig.bound("no_event"), since=since)
        pytest.fail(f"a {what} push made the device ring: {event}")


@pytest.mark.needs_broadcast
@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_push_by_broadcast_is_ignored(call: CallDriver, kind: str) -> None:
    rig = call.rig
    if rig.profile.broadcast is None:
        pytest.skip(f"{rig.profile.source} has no [broadcast] table (not a debug build)")
    since = rig.timeline.mark()
    BroadcastInjector(rig.session, rig.profile.broadcast).send(MALFORMED[kind])
    _expect_ignored_without_ring(rig, since, kind)


@pytest.mark.needs_faults
def test_malformed_push_through_wmpf_is_ignored(call: CallDriver, lab_faults: LabFaults) -> None:
    rig = call.rig
    since = rig.timeline.mark()
    lab_faults.push(MALFORMED["other_mini_program"])
    _expect_ignored_without_ring(rig, since, "other_mini_program")
    assert call.run().outcome is Outcome.PASSED, "the call after malformed pushes did not pass"
