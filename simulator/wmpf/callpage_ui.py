"""The plugin call page as uiautomator sees it: caller, status line, call timer, Answer and Hang up.

The real page is a Mini Program view rendered by WMPF; here it is one Window of the WMPF package whose
tree is rebuilt on every read, so the timer a screenshot or a hierarchy dump shows is the live one. Texts
are English with the plugin's Chinese labels as content descriptions; resource ids sit under
``com.tencent.wmpf:id/voip_*``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.android.ui import UiNode, Window
from simulator.wmpf.config import WMPF_PACKAGE

APPBRAND_ACTIVITY = f"{WMPF_PACKAGE}/com.tencent.mm.plugin.appbrand.ui.AppBrandUI"
WHITE = (255, 255, 255)
BG = (17, 20, 24)
GREEN = (46, 160, 67)
RED = (215, 58, 73)
GREY = (170, 176, 184)


@dataclass
class PageView:
    """What the page shows right now (computed by the Mini Program model)."""

    caller: str
    status: str
    timer: str | None = None
    answer: Callable[[], None] | None = None
    hang_up: Callable[[], None] | None = None
    end_page: bool = False


def _id(name: str) -> str:
    return f"{WMPF_PACKAGE}:id/voip_{name}"


def build_page(view: PageView, width: int, height: int) -> UiNode:
    p = WMPF_PACKAGE
    children = [
        UiNode(class_name="android.widget.TextView", text=view.caller, package=p, resource_id=_id("caller_name"),
               bounds=(0, height // 6, width, height // 6 + 120), text_color=WHITE, font_size=64),
        UiNode(class_name="android.widget.TextView", text=view.status, package=p, resource_id=_id("status"),
               bounds=(0, height // 6 + 140, width, height // 6 + 220), text_color=GREY, font_size=36),
    ]
    if view.timer is not None:
        children.append(UiNode(class_name="android.widget.TextView", text=view.timer, package=p,
                               resource_id=_id("timer"), bounds=(0, height // 2 - 60, width, height // 2 + 60),
                               text_color=WHITE, font_size=72))
    bw, bh = width // 3, max(96, height // 14)
    y = height - height // 5
    if view.hang_up is not None:
        left = width // 12 if view.answer is not None else (width - bw) // 2
        children.append(UiNode(class_name="android.widget.Button", text="Hang up", content_desc="挂断", package=p,
                               resource_id=_id("hangup"), bounds=(left, y, left + bw, y + bh), clickable=True,
                               focusable=True, on_click=view.hang_up, background=RED, text_color=WHITE,
                               font_size=44))
    if view.answer is not None:
        left = width - width // 12 - bw
        children.append(UiNode(class_name="android.widget.Button", text="Answer", content_desc="接听", package=p,
                               resource_id=_id("answer"), bounds=(left, y, left + bw, y + bh), clickable=True,
                               focusable=True, on_click=view.answer, background=GREEN, text_color=WHITE,
                               font_size=44))
    webview = UiNode(class_name="android.webkit.WebView", package=p, bounds=(0, 0, width, height),
                     content_desc="call-page-plugin" if not view.end_page else "call-end", children=children)
    return UiNode(package=p, bounds=(0, 0, width, height), background=BG, children=[webview])


def page_window(view: Callable[[], PageView], on_back: Callable[[int], bool] | None = None) -> Window:
    return Window(package=WMPF_PACKAGE, activity=APPBRAND_ACTIVITY,
                  build=lambda w, h: build_page(view(), w, h), on_key=on_back, title="WMPF Mini Program")
