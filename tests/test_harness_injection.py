"""Broadcast injection through a real adb server: any payload arrives intact and nothing in it runs."""

from __future__ import annotations

import pytest

from harness.call.timeline import Timeline
from harness.callers.broadcast import BroadcastInjector
from harness.callers.push import CallPush
from harness.config.app_profile import load_profile
from harness.device.session import DeviceSession
from harness.shellquote import sh_quote
from tests.harness_helpers import require_wmpf

CANARY = "/data/local/tmp/cy"  # short: the app logs at most 120 characters of a rejected push
NASTY = ("张三 \"q\" 'x' ; touch " + CANARY + "1 && $(touch " + CANARY + "2) `touch " + CANARY + "3`\n"
         "| $HOME\\ ${IFS}")


@pytest.fixture
def session(sim_device, adb_server):
    with DeviceSession(sim_device.serial, adb_port=adb_server.port) as s:
        yield s


def canaries(session: DeviceSession) -> str:
    return session.device.shell(f"ls {CANARY}1 {CANARY}2 {CANARY}3 {CANARY}4 2>/dev/null; echo end")


def test_quoting_is_one_literal_word() -> None:
    assert sh_quote("plain-word_1.2") == "plain-word_1.2"
    assert sh_quote("") == "''"
    assert sh_quote("it's") == "'it'\\''s'"
    with pytest.raises(Exception, match="NUL"):
        sh_quote("a\x00b")


def test_device_shell_gets_the_payload_back_verbatim(session: DeviceSession) -> None:
    out = session.device.shell2("printf '%s' " + sh_quote(NASTY), rstrip=False)
    assert out.output == NASTY
    assert canaries(session).strip() == "end"


def test_broadcast_of_any_payload_runs_nothing(session: DeviceSession) -> None:
    profile = load_profile()
    assert profile.broadcast is not None
    placement = BroadcastInjector(session, profile.broadcast).send(NASTY)
    assert "Broadcast completed" in placement.detail["output"]
    assert canaries(session).strip() == "end"


def test_malformed_push_reaches_the_app_intact_and_runs_nothing(session: DeviceSession) -> None:
    require_wmpf(session)
    profile = load_profile()
    assert profile.broadcast is not None
    timeline = Timeline(session, profile)
    mark = timeline.mark()
    placement = BroadcastInjector(session, profile.broadcast).send(NASTY)
    assert placement.host_after_ns >= placement.host_before_ns
    ignored = timeline.wait("push_ignored", 10, since=mark)
    # the host app logs the rejected message (newlines shown as \n): exactly what we sent
    assert len(NASTY) <= 120
    assert ignored.line.message.endswith("msg=" + NASTY.replace("\n", "\\n"))
    assert canaries(session).strip() == "end"


def test_valid_push_with_any_caller_name_rings_with_that_name(session: DeviceSession) -> None:
    require_wmpf(session)
    profile = load_profile()
    assert profile.broadcast is not None and profile.miniprogram_appid is not None
    timeline = Timeline(session, profile)
    name = "王五 \"Wang\" ; $(touch " + CANARY + "1) `id` 'x'"
    push = CallPush(room_type="voice", group_id="wxf830863afde621ebWmpfVoip9901", listener_id=session.prop(
        "ro.serialno"), caller_name=name, appid=profile.miniprogram_appid)
    mark = timeline.mark()
    BroadcastInjector(session, profile.broadcast).send(push)
    received = timeline.wait("push_received", 10, since=mark)
    assert received.room_id == push.group_id
    ring = timeline.wait("ring_shown", 20, since=mark)
    assert ring.data["caller"] == name
    assert canaries(session).strip() == "end"
    session.u2.press("back")  # leave the incoming screen for the next test
