"""The VoIP push message: built by the WeChat backend, checked by the host app (facts doc §0 step 4).

``{"path": "plugin-private://wxf830863afde621eb/pages/call-page-plugin/call-page-plugin?roomType=..&groupId=..
&listenerId=<sn>&callerName=..&<customQuery>", "appType": 0|1|2, "appid": "wx..."}``. The host app's checks
are the demo's (``VoipActivity.kt``): ``path`` must contain the plugin appid and ``appid`` must be non-empty;
anything else is logged and ignored, never a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from simulator.wmpf.config import CALL_PAGE_PATH, PLUGIN_APPID

APP_TYPES = {"release": 0, "develop": 1, "trial": 2}
APP_TYPE_NAMES = ("APP_TYPE_RELEASE", "APP_TYPE_DEV", "APP_TYPE_EXP")


class BadPush(ValueError):
    """The push message is not a usable VoIP call push; the message says why (for the host app's log)."""


@dataclass(frozen=True)
class PushMsg:
    path: str
    app_type: int
    appid: str

    @property
    def query(self) -> dict[str, str]:
        return call_query(self.path)

    @property
    def room_id(self) -> str | None:
        return self.query.get("groupId")

    def to_json(self) -> str:
        return json.dumps({"path": self.path, "appType": self.app_type, "appid": self.appid},
                          ensure_ascii=False, separators=(",", ":"))


def call_query(path: str) -> dict[str, str]:
    """The query parameters of a call page path (last value wins, like the plugin's onLoad options)."""
    return dict(parse_qsl(path.partition("?")[2], keep_blank_values=True))


def build_push(*, room_type: str, room_id: str, sn: str, caller_name: str, custom_query: str,
               env_version: str, appid: str) -> PushMsg:
    query = (f"roomType={quote(room_type)}&groupId={quote(room_id)}&listenerId={quote(sn)}"
             f"&callerName={quote(caller_name)}")
    if custom_query:
        query += "&" + custom_query.lstrip("&?")
    return PushMsg(path=f"{CALL_PAGE_PATH}?{query}", app_type=APP_TYPES[env_version], appid=appid)


def parse_push(message: str) -> PushMsg:
    """Validate a received push exactly as far as the demo host app does; raise :class:`BadPush`."""
    if len(message) > 5 * 1024:  # pushAppMsg caps msg at 5 KB; anything bigger is junk to this app
        raise BadPush(f"message too long ({len(message)} bytes)")
    try:
        data = json.loads(message)
    except ValueError as exc:
        raise BadPush(f"not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(data, dict):
        raise BadPush(f"not a JSON object but {type(data).__name__}")
    path = data.get("path")
    if not isinstance(path, str) or not path:
        raise BadPush("missing path")
    if PLUGIN_APPID not in path:
        raise BadPush(f"path does not name the VoIP plugin {PLUGIN_APPID}")
    appid = data.get("appid")
    if not isinstance(appid, str) or not appid:
        raise BadPush("empty appid")
    app_type = data.get("appType", 0)
    if isinstance(app_type, bool) or not isinstance(app_type, int) or app_type not in (0, 1, 2):
        raise BadPush(f"bad appType {app_type!r} (0 release, 1 dev, 2 trial)")
    return PushMsg(path=path, app_type=app_type, appid=appid)


def preview(message: str, limit: int = 120) -> str:
    """A one-line excerpt for log lines (junk pushes can be 10 KB of anything)."""
    flat = message.replace("\n", "\\n")
    return flat if len(flat) <= limit else flat[:limit] + f"...(+{len(flat) - limit} chars)"
