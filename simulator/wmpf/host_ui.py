"""The host app's screens: its main screen and its own incoming-call screen.

A real device maker's app shows who is calling with Answer and Decline buttons before it opens the Mini
Program (call-wmpf.html §2.2). Resource ids follow Android conventions (``<package>:id/answer``) so tests and
the harness can find the buttons with uiautomator2 selectors exactly as on hardware.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.android.ui import UiNode, Window

WHITE = (255, 255, 255)
DARK = (28, 32, 38)
GREEN = (46, 160, 67)
RED = (215, 58, 73)
GREY = (180, 186, 194)


def _text(package: str, rid: str, text: str, bounds: tuple[int, int, int, int], size: int,
          color: tuple[int, int, int] = WHITE) -> UiNode:
    return UiNode(class_name="android.widget.TextView", text=text, package=package,
                  resource_id=f"{package}:id/{rid}", bounds=bounds, text_color=color, font_size=size)


def _button(package: str, rid: str, text: str, desc: str, bounds: tuple[int, int, int, int],
            color: tuple[int, int, int], on_click: Callable[[], None]) -> UiNode:
    return UiNode(class_name="android.widget.Button", text=text, content_desc=desc, package=package,
                  resource_id=f"{package}:id/{rid}", bounds=bounds, clickable=True, focusable=True,
                  on_click=on_click, background=color, text_color=WHITE, font_size=44)


def main_window(package: str, status: Callable[[], str], activity: str = ".MainActivity") -> Window:
    def build(width: int, height: int) -> UiNode:
        return UiNode(package=package, bounds=(0, 0, width, height), background=(245, 247, 250), children=[
            _text(package, "title", "WMPF Host", (0, 0, width, height // 12), 48, DARK),
            _text(package, "status", status(), (0, height // 12, width, height // 6), 32, (80, 88, 99)),
        ])

    return Window(package=package, activity=f"{package}/{activity}", build=build, title="WMPF Host")


def incoming_window(package: str, caller: str, room_type: str, on_answer: Callable[[], None],
                    on_decline: Callable[[], None], activity: str = ".IncomingCallActivity") -> Window:
    kind = "video" if room_type == "video" else "voice"

    def build(width: int, height: int) -> UiNode:
        bw, bh = width // 3, max(96, height // 14)
        y = height - height // 5
        return UiNode(package=package, bounds=(0, 0, width, height), background=DARK, children=[
            _text(package, "caller_name", caller, (0, height // 5, width, height // 5 + 120), 64),
            _text(package, "call_type", f"Incoming {kind} call", (0, height // 5 + 140, width, height // 5 + 220),
                  36, GREY),
            _button(package, "decline", "Decline", "拒绝", (width // 12, y, width // 12 + bw, y + bh), RED,
                    on_decline),
            _button(package, "answer", "Answer", "接听", (width - width // 12 - bw, y, width - width // 12, y + bh),
                    GREEN, on_answer),
        ])

    return Window(package=package, activity=f"{package}/{activity}", build=build,
                  title=f"Incoming call from {caller}")
