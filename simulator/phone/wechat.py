"""WeChat (``com.tencent.mm``) on a simulated phone: its home screen, the device maker's caller Mini Program
and the VoIP plugin's caller page — what a person taps to call a WMPF device (call flow §1).

The person opens the Mini Program (from WeChat's home, or a ``weixin://dl/business/?appid=..`` deep link),
picks a device from the list (each simulated device's name and SN), and taps *Voice call* or *Video call*.
The tap runs the plugin's ``callWMPF`` against the simulated WeChat backend with the device's current
pushToken, exactly the request ``POST /callWMPF`` takes, and the caller page then follows the room:
*Calling…* (with Cancel), *Connected* (with a timer and Hang up), *Call ended* with the reason. Every step is
logged on the phone's logcat (tag ``MicroMsg.WMPFCaller``) and written to the phone's ground truth at the same
instant: ``tap_call``, ``call_page_calling``, ``call_page_connected``, ``call_page_ended``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from simulator.android.ui import UiNode, Window
from simulator.phone.http import HttpError
from simulator.phone.room import Room, RoomState
from simulator.wmpf.recorder import Line, Recorder
from simulator.wmpf.truth import DeviceTruth

if TYPE_CHECKING:
    from simulator.device import SimDevice
    from simulator.phone.backend import PhoneBackend
    from simulator.processes import Process
    from simulator.wmpf.truth import TruthRecorder

WECHAT_PACKAGE = "com.tencent.mm"
LAUNCHER_UI = f"{WECHAT_PACKAGE}/.ui.LauncherUI"
APPBRAND_UI = f"{WECHAT_PACKAGE}/.plugin.appbrand.ui.AppBrandUI"
DEEP_LINK_PREFIX = "weixin://dl/business/"
MINI_PROGRAM_NAME = "WMPF Caller"
TAG = "MicroMsg.WMPFCaller"
NICKNAME = "wmpf-hil phone"
KEYCODE_BACK = 4

WHITE = (255, 255, 255)
GREEN = (7, 193, 96)  # WeChat green
RED = (250, 81, 81)
DARK = (25, 25, 25)
LIGHT = (237, 237, 237)
GREY = (140, 140, 140)

_ATTR = "_wechat_app"


def _rid(name: str) -> str:
    return f"{WECHAT_PACKAGE}:id/{name}"


class WeChatApp:
    """The WeChat model of one phone; attached to its Android system by :func:`install_wechat`."""

    label = "WeChat"
    activities = (".ui.LauncherUI", ".plugin.appbrand.ui.AppBrandUI")

    def __init__(self, phone: SimDevice, backend: PhoneBackend, truth: TruthRecorder | None) -> None:
        self.phone = phone
        self.backend = backend
        self.truth = (truth.for_device(phone.serialno, phone.clock) if truth is not None
                      else DeviceTruth(None, phone.clock))
        self.recorder = Recorder(phone, self.truth)
        self.proc: Process | None = None
        self.page = "devices"  # devices | device | call
        self.chosen: str | None = None  # the device SN picked in the list
        self.auto_answer = False
        self.room: Room | None = None
        self.error: str | None = None
        self.home = Window(package=WECHAT_PACKAGE, activity=LAUNCHER_UI, build=self._build_home, title="WeChat")
        self.mini_program = Window(package=WECHAT_PACKAGE, activity=APPBRAND_UI, build=self._build_mini_program,
                                   on_key=self._on_key, title=MINI_PROGRAM_NAME)

    # -- Android callbacks ----------------------------------------------------------------------------
    def on_process_start(self, proc: Process) -> None:
        self.proc = proc

    def on_process_death(self, proc: Process, status: int) -> None:
        if proc is self.proc:
            self.proc = None
            room, self.room = self.room, None
            if room is not None and room.active:  # the caller's WeChat died: its side of the room is gone
                self.backend.caller_act(room, "network_loss")
            self.page, self.chosen = "devices", None

    def resolve_activity(self, intent: Any) -> str | None:
        if intent.data and intent.data.startswith(DEEP_LINK_PREFIX):
            return APPBRAND_UI
        return None

    def on_activity_start(self, intent: Any) -> None:
        if intent.component and intent.component.endswith("AppBrandUI"):
            self._open_mini_program(f"deep link {intent.data}" if intent.data else "intent")
        else:
            self.phone.android.screen.show(self.home)

    def on_new_intent(self, intent: Any) -> None:
        self.on_activity_start(intent)

    # -- the Mini Program --------------------------------------------------------------------------------
    def _log(self, message: str, priority: str = "I") -> None:
        self.recorder.log(priority, TAG, message, self.proc)

    def _open_mini_program(self, how: str) -> None:
        if self.room is None or not self.room.active:  # a call in progress keeps its page
            self.page, self.room, self.error = "devices", None, None
        self._log(f"open Mini Program {MINI_PROGRAM_NAME} ({how})")
        self.phone.android.screen.show(self.mini_program)

    def _choose(self, sn: str) -> None:
        self.chosen, self.page, self.error = sn, "device", None
        self._log(f"device chosen: {sn}")

    def _toggle_auto_answer(self) -> None:
        self.auto_answer = not self.auto_answer

    def _call(self, room_type: str) -> None:
        """The tap on Voice/Video call: ``callWMPF`` with the device's current pushToken."""
        tap_mono = time.monotonic_ns()
        sn = self.chosen or ""
        model = self.backend.models.get(sn)
        token = model.service.push_token if model is not None else None
        body = {"roomType": room_type, "sn": sn, "modelId": model.wmpf_config.model_id if model else "",
                "pushToken": token.token if token else "", "nickName": NICKNAME, "envVersion": "release"}
        if self.auto_answer:
            body["customQuery"] = "isClickedHangOnBtn=1"
        self.recorder.log("I", TAG, f"tap {room_type} call to {sn}", self.proc, host_mono_ns=tap_mono)
        try:
            room_id = self.backend.place_call(body)
        except HttpError as exc:
            self.error = f"Call failed: {exc.body.get('errMsg', exc)}"
            self._log(f"callWMPF failed: errCode {exc.body.get('errCode')}: {exc.body.get('errMsg')}", "E")
            self.truth.record("tap_call", None, host_mono_ns=tap_mono, sn=sn, room_type=room_type,
                              error=exc.body.get("errMsg"))
            return
        self.truth.record("tap_call", room_id, host_mono_ns=tap_mono, sn=sn, room_type=room_type)
        room = self.backend.rooms[room_id]
        self.room, self.page, self.error = room, "call", None
        room.on_connect.append(self._on_connected)
        room.on_end.append(self._on_ended)
        self.recorder.event("call_page_calling", room_id,
                            Line("I", TAG, f"callWMPF ok: roomType={room_type} roomId={room_id}", self.proc))

    def _on_connected(self, room: Room) -> None:
        self.recorder.event("call_page_connected", room.room_id,
                            Line("I", TAG, f"call page connected: roomId={room.room_id}", self.proc))

    def _on_ended(self, room: Room) -> None:
        self.recorder.event("call_page_ended", room.room_id,
                            Line("I", TAG, f"call page ended: roomId={room.room_id} reason={room.end_reason}",
                                 self.proc), reason=room.end_reason)

    def _cancel(self) -> None:
        if self.room is not None and self.room.active:
            self._log(f"cancel tapped: roomId={self.room.room_id}")
            self.backend.caller_act(self.room, "cancel")

    def _hang_up(self) -> None:
        if self.room is not None and self.room.active:
            self._log(f"hang up tapped: roomId={self.room.room_id}")
            self.backend.caller_act(self.room, "hangup")

    def _close(self) -> None:
        self.page, self.room = ("device" if self.chosen else "devices"), None

    def _on_key(self, keycode: int) -> bool:
        if keycode != KEYCODE_BACK:
            return False
        if self.page == "call" and self.room is not None and self.room.active:
            return True  # the call page holds the screen while a call is up
        if self.page in ("call", "device"):
            self.page, self.room = "devices", None
            return True
        return False  # the device list: BACK leaves the Mini Program

    # -- screens -------------------------------------------------------------------------------------------
    def _text(self, rid: str, text: str, bounds: tuple[int, int, int, int], size: int = 40,
              color: tuple[int, int, int] = DARK, **kw: Any) -> UiNode:
        return UiNode(class_name="android.widget.TextView", text=text, package=WECHAT_PACKAGE,
                      resource_id=_rid(rid), bounds=bounds, text_color=color, font_size=size, **kw)

    def _button(self, rid: str, text: str, bounds: tuple[int, int, int, int], color: tuple[int, int, int],
                on_click: Any, desc: str = "") -> UiNode:
        return UiNode(class_name="android.widget.Button", text=text, content_desc=desc, package=WECHAT_PACKAGE,
                      resource_id=_rid(rid), bounds=bounds, clickable=True, focusable=True, on_click=on_click,
                      background=color, text_color=WHITE, font_size=44)

    def _build_home(self, width: int, height: int) -> UiNode:
        bar = max(120, height // 16)
        return UiNode(package=WECHAT_PACKAGE, bounds=(0, 0, width, height), background=LIGHT, children=[
            self._text("title", "WeChat", (0, 0, width, bar), 48),
            UiNode(class_name="android.widget.TextView", text=MINI_PROGRAM_NAME, content_desc="Mini Program",
                   package=WECHAT_PACKAGE, resource_id=_rid("app_brand_entry"), bounds=(0, bar, width, 2 * bar),
                   clickable=True, focusable=True, background=WHITE, text_color=DARK, font_size=40,
                   on_click=lambda: self._open_mini_program("home entry")),
        ])

    def _build_mini_program(self, width: int, height: int) -> UiNode:
        bar = max(120, height // 16)
        if self.page == "call" and self.room is not None:
            children = self._call_page(width, height)
        elif self.page == "device" and self.chosen:
            children = self._device_page(width, height, bar)
        else:
            children = self._device_list(width, bar)
        if self.error:
            children.append(self._text("mp_error", self.error, (0, height - 2 * bar, width, height - bar), 32, RED))
        webview = UiNode(class_name="android.webkit.WebView", package=WECHAT_PACKAGE, bounds=(0, 0, width, height),
                         content_desc=MINI_PROGRAM_NAME, children=children)
        return UiNode(package=WECHAT_PACKAGE, bounds=(0, 0, width, height),
                      background=DARK if self.page == "call" else WHITE, children=[webview])

    def _device_list(self, width: int, bar: int) -> list[UiNode]:
        rows = [self._text("mp_title", "Call a device", (0, 0, width, bar), 48)]
        for i, (sn, model) in enumerate(self.backend.models.items()):
            top = bar * (i + 1)
            rows.append(UiNode(class_name="android.widget.TextView", text=f"{model.wmpf_config.device_name} ({sn})",
                               package=WECHAT_PACKAGE, resource_id=_rid("mp_device_row"),
                               bounds=(0, top, width, top + bar), clickable=True, focusable=True,
                               background=LIGHT if i % 2 else WHITE, text_color=DARK, font_size=36,
                               on_click=lambda s=sn: self._choose(s)))
        return rows

    def _device_page(self, width: int, height: int, bar: int) -> list[UiNode]:
        model = self.backend.models.get(self.chosen or "")
        name = model.wmpf_config.device_name if model else self.chosen or ""
        bw, bh = width // 3, max(96, height // 16)
        y = height // 2
        return [
            self._text("mp_device_name", f"{name} ({self.chosen})", (0, bar, width, 2 * bar), 44),
            UiNode(class_name="android.widget.CheckBox", text="Device answers automatically", package=WECHAT_PACKAGE,
                   resource_id=_rid("mp_auto_answer"), bounds=(0, 2 * bar, width, 3 * bar), clickable=True,
                   checkable=True, checked=self.auto_answer, focusable=True, on_click=self._toggle_auto_answer,
                   text_color=DARK, font_size=36),
            self._button("mp_voice_call", "Voice call", (width // 12, y, width // 12 + bw, y + bh), GREEN,
                         lambda: self._call("voice"), "语音通话"),
            self._button("mp_video_call", "Video call", (width - width // 12 - bw, y, width - width // 12, y + bh),
                         GREEN, lambda: self._call("video"), "视频通话"),
        ]

    def _call_page(self, width: int, height: int) -> list[UiNode]:
        room = self.room
        assert room is not None
        model = self.backend.models.get(room.sn)
        peer = model.wmpf_config.device_name if model else room.sn
        if room.state is RoomState.ENDED:
            status = f"Call ended: {room.end_reason}"
        elif room.state is RoomState.CONNECTED:
            status = "Connected"
        else:
            status = "Calling…"
        nodes = [self._text("voip_peer", peer, (0, height // 6, width, height // 6 + 120), 64, WHITE),
                 self._text("voip_status", status, (0, height // 6 + 140, width, height // 6 + 220), 36, GREY)]
        bw, bh = width // 3, max(96, height // 16)
        x, y = (width - bw) // 2, height - height // 5
        if room.state is RoomState.CONNECTED:
            nodes.append(self._text("voip_timer", f"{room.keep_time_s // 60:02d}:{room.keep_time_s % 60:02d}",
                                    (0, height // 2 - 60, width, height // 2 + 60), 72, WHITE))
            nodes.append(self._button("voip_hangup", "Hang up", (x, y, x + bw, y + bh), RED, self._hang_up, "挂断"))
        elif room.state is RoomState.ENDED:
            nodes.append(self._button("voip_close", "Close", (x, y, x + bw, y + bh), GREY, self._close, "关闭"))
        else:
            nodes.append(self._button("voip_cancel", "Cancel", (x, y, x + bw, y + bh), RED, self._cancel, "取消"))
        return nodes


def install_wechat(phone: SimDevice, backend: PhoneBackend, truth: TruthRecorder | None = None) -> WeChatApp:
    """Attach WeChat to a phone before it boots (once)."""
    existing = getattr(phone, _ATTR, None)
    if existing is not None:
        return existing
    app = WeChatApp(phone, backend, truth)
    phone.android.attach_app(WECHAT_PACKAGE, app)
    setattr(phone, _ATTR, app)
    return app
