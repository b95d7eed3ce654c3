"""Malformed pushes are ignored: the app logs why, nothing rings, and the next real call still does; any caller
name reaches the screen intact and runs nothing on the device, by every route the app offers. "Intact" includes
its glyphs: a name drawn as missing-glyph boxes (a device without a CJK font) fails (:mod:`harness.device.glyphs`).

Pushes go in by the debug build's broadcast (the app profile's ``[broadcast]``) and, when the lab has a fault
injector (``raw_push``), through WMPF's own push channel.
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
from harness.call.rig import Rig
from harness.callers.broadcast import BroadcastInjector
from harness.callers.lab_faults import LabFaults
from harness.config.push_fixtures import Caller as NamedCaller
from harness.config.push_fixtures import callers, malformed_pushes
from harness.device import glyphs
from harness.errors import WaitTimeout
from harness.results.records import Outcome

pytestmark = pytest.mark.wmpf_scenario

MALFORMED = malformed_pushes()  # fixtures/pushes/malformed: one file a push
CALLERS = callers()  # fixtures/pushes/callers.toml
CANARY = "/data/local/tmp/wmpf_hil_canary"


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
    assert rig.profile.broadcast is not None  # needs_broadcast
    since = rig.timeline.mark()
    BroadcastInjector(rig.session, rig.profile.broadcast).send(MALFORMED[kind])
    _expect_ignored_without_ring(rig, since, kind)


@pytest.mark.needs_raw_push
@pytest.mark.needs_connect
def test_malformed_push_through_wmpf_is_ignored(call: CallDriver, lab_faults: LabFaults) -> None:
    rig = call.rig
    since = rig.timeline.mark()
    lab_faults.push(MALFORMED["other_mini_program"])
    _expect_ignored_without_ring(rig, since, "other_mini_program")
    assert call.run().outcome is Outcome.PASSED, "the call after malformed pushes did not pass"


def _canaries(rig: Rig) -> str:
    return rig.session.device.shell(f"ls {CANARY}1 {CANARY}2 {CANARY}3 {CANARY}4 2>/dev/null; echo end").strip()


@pytest.mark.parametrize("route", [pytest.param("caller", marks=pytest.mark.needs_caller_name),
                                   pytest.param("broadcast", marks=pytest.mark.needs_broadcast)])
@pytest.mark.parametrize("caller", CALLERS, ids=[c.id for c in CALLERS])
def test_caller_name_is_shown_intact_and_runs_nothing(call: CallDriver, caller: NamedCaller, route: str) -> None:
    """Through the run's caller (when it chooses the name: a phone bot, a broadcast) and by broadcast."""
    rig = call.rig
    name = caller.with_canary(CANARY)
    rig.session.device.shell(f"rm -f {CANARY}1 {CANARY}2 {CANARY}3 {CANARY}4")
    with call.call() as c:
        c.place(caller_name=name, via=route)
        ring = c.wait_ring()
        shown = glyphs.check_on_screen(rig.session, name)  # while it rings: the element and a screenshot
        c.record.extra["caller_glyphs"] = shown.describe()
        c.decline()
    assert c.record.outcome is Outcome.PASSED, c.record.error
    assert not shown.missing, f"the caller name shows as missing glyphs: {shown.describe()}"
    if "caller" in ring.data:  # the profile's ring pattern names the caller; logcat splits lines at newlines
        assert ring.data["caller"] == name.split("\n")[0]
    assert _canaries(rig) == "end", "a caller name ran a command on the device"
