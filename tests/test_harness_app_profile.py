"""App profiles: the bundled ones load; every kind of mistake is refused naming file, key and problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.config.app_profile import DEFAULT_PROFILE, load_profile
from harness.errors import AppProfileError

DEFAULT_TEXT = DEFAULT_PROFILE.read_text(encoding="utf-8")


def test_bundled_profiles_load() -> None:
    default = load_profile()
    assert (default.host_package, default.wmpf_package, default.call_method) == (
        "com.example.wmpfhost", "com.tencent.wmpf", "phone")
    assert default.bound("push_to_ring") == 20.0 and default.end_mode == "background"
    assert [p.tag for p in default.pattern("ring_shown")] == ["IncomingCallActivity", "WMPF.VoipPlugin"]
    vendor = load_profile("example-vendor")
    assert vendor.broadcast is not None and vendor.broadcast.extra == "payload"
    assert vendor.bound("push_to_ring") == 30.0 and vendor.bound("hold") == 2.0


def test_patterns_match_the_log_lines_they_describe() -> None:
    profile = load_profile()
    (voip,) = profile.pattern("voip_event")
    assert voip.match("WMPF.VoipPlugin", 'onVoipEvent {"eventName":"hangOnVoip","roomId":"r1"}') == {
        "json": '{"eventName":"hangOnVoip","roomId":"r1"}'}
    assert voip.match("OtherTag", 'onVoipEvent {"eventName":"x"}') is None
    (push,) = profile.pattern("push_received")
    got = push.match("WMPF-API", '收到推送消息: {"path":"plugin-private://wxf830863afde621eb/pages/call-page-plugin/'
                                 'call-page-plugin?roomType=video&groupId=ROOM42&listenerId=SN","appType":0}')
    assert got == {"room": "ROOM42"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "key", "problem"), [
    (lambda t: t.replace('host_package = "com.example.wmpfhost"\n', ""), "app.host_package", "is required"),
    (lambda t: t.replace('method = "phone"', 'method = "carrier-pigeon"'), "call.method", "is not one of"),
    (lambda t: t.replace("[call]\n", "[call]\nringtone = 1\n"), "call.ringtone", "unknown key"),
    (lambda t: t.replace("(?P<json>\\{.*\\})", "(.*)"), "patterns.voip_event.regex", "named group"),
    (lambda t: t.replace("'^onWMPFFinish$'", "'(unclosed'"), "patterns.wmpf_finish.regex", "invalid regex"),
    (lambda t: re.sub(r"wmpf_started = .*\n", "", t), "patterns.wmpf_started", "is required"),
    (lambda t: t.replace("push_ignored =", "push_ignord ="), "patterns.push_ignord", "unknown key"),
    (lambda t: t.replace('hang_up = { resourceId', 'hang_up = { resource_id'), "ui.hang_up.resource_id",
     "unknown key"),
    (lambda t: t.replace("push_to_ring = 20", "push_to_ring = -1"), "bounds.push_to_ring", "0 < x <= 3600"),
    (lambda t: t.replace("hold = 2", 'hold = "2"'), "bounds.hold", "must be a number"),
    (lambda t: re.sub(r"end_background = .*\n", "", t), "patterns.end_background", "end_mode is 'background'"),
    (lambda t: t.replace('method = "phone"', 'method = "broadcast"').replace("[broadcast]", "[broadcast_off]"),
     "broadcast", "no [broadcast] table"),
])
def test_invalid_profiles_name_file_key_and_problem(tmp_path: Path, edit, key: str, problem: str) -> None:
    text = edit(DEFAULT_TEXT)
    assert text != DEFAULT_TEXT, "the edit did not apply"
    path = write(tmp_path, text)
    with pytest.raises(AppProfileError) as info:
        load_profile(path)
    assert info.value.source == str(path)
    assert info.value.key == key
    assert problem in info.value.problem
    assert str(path) in str(info.value) and repr(key) in str(info.value)


def test_unreadable_and_non_toml_files(tmp_path: Path) -> None:
    with pytest.raises(AppProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.toml")
    with pytest.raises(AppProfileError, match="not valid TOML"):
        load_profile(write(tmp_path, "[app\nname = 1"))
