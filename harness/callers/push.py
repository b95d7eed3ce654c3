"""The VoIP push message a device receives, built and validated from the call-flow document's JSON.

``{"path": "plugin-private://wxf830863afde621eb/pages/call-page-plugin/call-page-plugin?roomType=..&groupId=..
&listenerId=<device sn>&callerName=..&<customQuery>", "appType": 0|1|2, "appid": "wx..."}``
(seed-phone-calls-device-android.md §2.3). The harness builds pushes for the broadcast injector and checks
ones it reads back; a push that the WeChat backend could never send is refused here, naming the key, so a
"malformed push" scenario has to say explicitly that it sends raw text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from harness.errors import PushMessageError

PLUGIN_APPID = "wxf830863afde621eb"
CALL_PAGE_PATH = f"plugin-private://{PLUGIN_APPID}/pages/call-page-plugin/call-page-plugin"
ROOM_TYPES = ("voice", "video")
APP_TYPES = {0: "release", 1: "develop", 2: "trial"}
AUTO_ANSWER_KEY = "isClickedHangOnBtn"
_APPID = re.compile(r"wx[0-9A-Za-z]{6,32}")
_REQUIRED_QUERY = ("roomType", "groupId", "listenerId", "callerName")


@dataclass(frozen=True)
class CallPush:
    """A call push: the call page path's parameters, appType and the Mini Program appid."""

    room_type: str
    group_id: str  # the VoIP room id (plugin ≥ 2.4.0 calls it roomId)
    listener_id: str  # the device SN
    caller_name: str
    appid: str
    app_type: int = 0
    custom_query: dict[str, str] = field(default_factory=dict)
    auto_answer: bool = False  # &isClickedHangOnBtn=1: the plugin answers without a tap

    def __post_init__(self) -> None:
        validate_fields(self, "<push>")

    @property
    def room_id(self) -> str:
        return self.group_id

    @property
    def path(self) -> str:
        parts = [("roomType", self.room_type), ("groupId", self.group_id), ("listenerId", self.listener_id),
                 ("callerName", self.caller_name), *self.custom_query.items()]
        if self.auto_answer:
            parts.append((AUTO_ANSWER_KEY, "1"))
        return CALL_PAGE_PATH + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in parts)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "appType": self.app_type, "appid": self.appid}

    def to_json(self) -> str:
        """Compact JSON, non-ASCII kept as is (what the WeChat backend sends)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, source: str = "<push>") -> CallPush:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PushMessageError(source, "<json>", f"not JSON: {exc}") from None
        return cls.from_dict(data, source)

    @classmethod
    def from_dict(cls, data: Any, source: str = "<push>") -> CallPush:
        if not isinstance(data, dict):
            raise PushMessageError(source, "<json>", f"expected a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {"path", "appType", "appid"})
        if unknown:
            raise PushMessageError(source, unknown[0], "unknown key (a push has path, appType and appid)")
        path = data.get("path")
        if not isinstance(path, str) or not path:
            raise PushMessageError(source, "path", "missing or not a string")
        base, _, query_text = path.partition("?")
        if base != CALL_PAGE_PATH:
            raise PushMessageError(source, "path", f"must start with {CALL_PAGE_PATH}? (the VoIP plugin's call "
                                                   f"page), got {path[:80]!r}")
        query = dict(parse_qsl(query_text, keep_blank_values=True))
        for key in _REQUIRED_QUERY:
            if key not in query:
                raise PushMessageError(source, f"path.{key}", "missing from the call page query")
        app_type = data.get("appType", 0)
        auto = query.pop(AUTO_ANSWER_KEY, None)
        custom = {k: v for k, v in query.items() if k not in _REQUIRED_QUERY}
        try:
            return cls(room_type=query["roomType"], group_id=query["groupId"], listener_id=query["listenerId"],
                       caller_name=query["callerName"], appid=data.get("appid"),  # type: ignore[arg-type]
                       app_type=app_type, custom_query=custom, auto_answer=auto == "1")
        except PushMessageError as exc:
            raise PushMessageError(source, exc.key, exc.problem) from None


def validate_fields(push: CallPush, source: str) -> None:
    if push.room_type not in ROOM_TYPES:
        raise PushMessageError(source, "path.roomType", f"{push.room_type!r} is not one of {', '.join(ROOM_TYPES)}")
    for key, value in (("path.groupId", push.group_id), ("path.listenerId", push.listener_id)):
        if not isinstance(value, str) or not value.strip():
            raise PushMessageError(source, key, "must be a non-empty string")
    if not isinstance(push.caller_name, str):
        raise PushMessageError(source, "path.callerName", "must be a string")
    if isinstance(push.app_type, bool) or push.app_type not in APP_TYPES:
        raise PushMessageError(source, "appType", f"{push.app_type!r} is not 0 (release), 1 (develop) or 2 (trial)")
    if not isinstance(push.appid, str) or not _APPID.fullmatch(push.appid):
        raise PushMessageError(source, "appid", f"{push.appid!r} is not a Mini Program appid like wx0123456789abcdef")
    for key, value in push.custom_query.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key:
            raise PushMessageError(source, f"path.{key}", "custom query keys and values must be strings")
        if key in _REQUIRED_QUERY or key == AUTO_ANSWER_KEY:
            raise PushMessageError(source, f"path.{key}", "set by the push itself; not a custom query key")


def parse_custom_query(text: str) -> dict[str, str]:
    """``"a=1&b=x y"`` → ``{"a": "1", "b": "x y"}`` (the shape the phone's customQuery string takes)."""
    return dict(parse_qsl(text.lstrip("?&"), keep_blank_values=True))
