"""doctor --learn's proposals: a line becomes a regex on its stable start with the harness's named groups, and
the draft profile built from them loads and classifies the lines it was learned from."""

from __future__ import annotations

import re
from pathlib import Path

from harness.call.timeline import EventClassifier
from harness.cli.learn import Proposal, draft, propose, regex_for, voip_regex
from harness.config.app_profile import load_profile
from harness.device.logcat_parse import LogLine

ROOM = "wxf830863afde621ebWmpfVoip1764633600123"


def line(tag: str, message: str, pid: int = 100) -> LogLine:
    return LogLine(device_ns=0, resolution_ns=1_000_000, pid=pid, tid=pid, priority="I", tag=tag, message=message)


def test_regexes_keep_the_stable_start_and_name_the_variable_parts() -> None:
    push = f'收到推送消息: {{"path":"plugin-private://x?roomType=voice&groupId={ROOM}&listenerId=SN"}}'
    got = re.search(regex_for(push, room=ROOM), push)
    assert got is not None and got.group("room") == ROOM
    video = push.replace("voice", "video").replace(ROOM, ROOM[:-3] + "999")
    assert re.search(regex_for(push, room=ROOM), video) is not None  # another call, another room type
    ring = f"ringing room={ROOM} caller=张三 Li"
    m = re.search(regex_for(ring, room=ROOM, caller="张三 Li"), ring.replace("张三 Li", "Bob"))
    assert m is not None and m.group("caller") == "Bob"
    started = "WMPF service ready (pid=4242, start #3)"
    assert re.search(regex_for(started, pid=True), started).group("pid") == "4242"  # type: ignore[union-attr]
    listener = regex_for("registerPushMsgEventListener: success")
    assert re.search(listener, "registerPushMsgEventListener: rebind after WMPF restart")  # matches the rebind too
    assert regex_for("wx.exitMiniProgram") == r"^wx\.exitMiniProgram$"


def test_voip_event_lines_by_object_or_by_name() -> None:
    assert voip_regex('onVoipEvent {"eventName":"hangOnVoip"}', ROOM) == r"^onVoipEvent\ (?P<json>\{.*\})$"
    named = voip_regex(f"voipEvent name=startVoip room={ROOM}", ROOM)
    m = re.search(named, f"voipEvent name=endVoip room={ROOM}")
    assert m is not None and m.group("name") == "endVoip" and m.group("room") == ROOM


def test_a_watched_call_becomes_a_draft_profile_that_classifies_its_lines(tmp_path: Path) -> None:
    base = load_profile("lumen-tab-user")
    windows = {
        "ready": [line("WMPF.Service", "WMPF service ready (pid=200, start #1)", 200),
                  line("LumenVoip", "activateDevice 成功"), line("LumenVoip", "push listener ready (v2)")],
        "ring": [line("WMPF.Service", "onPushMsg: receive push msg, size=300", 200),
                 line("LumenVoip", f"onPushMsg roomId={ROOM}"),
                 line("LumenRing", f"ringing room={ROOM} caller=Learner Bot")],
        "answer": [line("LumenRing", f"user answered room={ROOM}"),
                   line("LumenVoip", f"voipEvent name=hangOnVoip room={ROOM}")],
        "end": [line("LumenVoip", f"voipEvent name=endVoip room={ROOM}"),
                line("WMPF.VoipPlugin", "wx.exitMiniProgram")],
    }
    proposals = propose(windows)
    assert {"wmpf_started", "wmpf_activated", "listener_registered", "push_received", "ring_shown",
            "answer_tapped", "voip_event", "end_exit"} <= set(proposals)
    assert proposals["push_received"].tag == "LumenVoip"  # the app's own line, not WMPF's
    path = tmp_path / "learned.toml"
    path.write_text(draft(base, proposals), encoding="utf-8")
    learned = load_profile(path)
    classify = EventClassifier(learned)
    ring = classify.classify(line("LumenRing", f"ringing room={ROOM} caller=Someone Else"))
    assert [(e.kind, e.room_id, e.data.get("caller")) for e in ring] == [("ring_shown", ROOM, "Someone Else")]
    voip = classify.classify(line("LumenVoip", f"voipEvent name=startVoip room={ROOM}"))
    assert [(e.kind, e.room_id) for e in voip] == [("voip:startVoip", ROOM)]
    assert learned.has_pattern("wmpf_finish")  # not seen in the call: kept from the base profile
    assert isinstance(proposals["end_exit"], Proposal) and learned.end_mode == "exit"
