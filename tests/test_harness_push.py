"""The push model: built like the WeChat backend builds it, validated key by key, round-tripped intact."""

from __future__ import annotations

import json

import pytest

from harness.callers.push import CALL_PAGE_PATH, CallPush
from harness.errors import PushMessageError

NAME = "张三 \"O'Brien\" ; $(reboot) `id` \n&x=1"


def make(**kw) -> CallPush:
    base = dict(room_type="video", group_id="wxf830863afde621ebWmpfVoip1", listener_id="WMPFSIM0000",
                caller_name="Alice", appid="wx0123456789abcdef")
    base.update(kw)
    return CallPush(**base)


def test_path_and_json_follow_the_call_flow_document() -> None:
    push = make(custom_query={"lang": "zh"}, auto_answer=True, app_type=2)
    data = json.loads(push.to_json())
    assert set(data) == {"path", "appType", "appid"} and data["appType"] == 2
    assert data["path"].startswith(CALL_PAGE_PATH + "?roomType=video&groupId=wxf830863afde621ebWmpfVoip1"
                                                    "&listenerId=WMPFSIM0000&callerName=Alice")
    assert data["path"].endswith("&lang=zh&isClickedHangOnBtn=1")


def test_any_caller_name_round_trips() -> None:
    push = make(caller_name=NAME)
    back = CallPush.from_json(push.to_json())
    assert back == push and back.caller_name == NAME and back.room_id == push.group_id


@pytest.mark.parametrize(("data", "key"), [
    ({"path": "pages/x?roomType=video", "appType": 0, "appid": "wx0123456789abcdef"}, "path"),
    ({"path": CALL_PAGE_PATH + "?roomType=video&listenerId=s&callerName=a", "appid": "wx0123456789abcdef"},
     "path.groupId"),
    ({"path": CALL_PAGE_PATH + "?roomType=radio&groupId=g&listenerId=s&callerName=a", "appid": "wx01234567"},
     "path.roomType"),
    ({"path": CALL_PAGE_PATH + "?roomType=voice&groupId=g&listenerId=s&callerName=a", "appType": 3,
      "appid": "wx0123456789abcdef"}, "appType"),
    ({"path": CALL_PAGE_PATH + "?roomType=voice&groupId=g&listenerId=s&callerName=a", "appType": True,
      "appid": "wx0123456789abcdef"}, "appType"),
    ({"path": CALL_PAGE_PATH + "?roomType=voice&groupId=g&listenerId=s&callerName=a", "appid": ""}, "appid"),
    ({"path": CALL_PAGE_PATH + "?roomType=voice&groupId=g&listenerId=s&callerName=a", "appid": "wx0123456789abcdef",
      "pushToken": "secret"}, "pushToken"),
    ([1, 2], "<json>"),
])
def test_invalid_pushes_name_the_key(data, key: str) -> None:
    with pytest.raises(PushMessageError) as info:
        CallPush.from_dict(data, "push.json")
    assert info.value.key == key and "push.json" in str(info.value)


def test_not_json_is_refused() -> None:
    with pytest.raises(PushMessageError, match="not JSON"):
        CallPush.from_json("{oops")
