"""The input methods a simulated device knows, and uiautomator2's AdbKeyboard (``com.github.uiautomator``).

``d.send_keys(text)`` installs uiautomator2's APK, makes its ``.AdbKeyboard`` the input method (``ime enable``,
``ime set``, ``settings put secure default_input_method``) and types by broadcast: ``am broadcast -a
ADB_KEYBOARD_INPUT_TEXT --es text BASE64`` must answer ``result=-1, data="success"`` and the text must reach
the focused field. The APK's code cannot run here, so its IME's documented behaviour is modelled: it answers
only while it is installed and is the current input method, as the real one does.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from simulator.android.intent import Intent

if TYPE_CHECKING:
    from simulator.android.system import AndroidSystem

ADB_KEYBOARD = "com.github.uiautomator/.AdbKeyboard"
RESULT_OK = -1


def current_ime(system: AndroidSystem) -> str:
    return system.settings["secure"].get("default_input_method", "")


def keyboard_broadcast(system: AndroidSystem, intent: Intent) -> tuple[int, str] | None:
    """(result code, result data) if the current AdbKeyboard takes this broadcast, else None."""
    action = intent.action or ""
    if not action.startswith("ADB_KEYBOARD_") or current_ime(system) != ADB_KEYBOARD:
        return None
    if ADB_KEYBOARD.split("/")[0] not in system.packages:
        return None
    top = system.screen.top()
    if action == "ADB_KEYBOARD_INPUT_TEXT":
        try:
            text = base64.b64decode(str(intent.extras.get("text", ""))).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return RESULT_OK, "error: text is not base64 UTF-8"
        if top is None or top.on_text is None or not system.screen.on or not top.on_text(text):
            return RESULT_OK, "success"  # the IME commits text; nothing focused takes it
        return RESULT_OK, "success"
    if action in ("ADB_KEYBOARD_HIDE", "ADB_KEYBOARD_SHOW", "ADB_KEYBOARD_CLEAR_TEXT", "ADB_KEYBOARD_SMART_ENTER",
                  "ADB_KEYBOARD_EDITOR_CODE", "ADB_KEYBOARD_KEYCODE"):
        return RESULT_OK, "success"
    return None
