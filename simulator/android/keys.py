"""Android key codes (``android.view.KeyEvent``) by name, for ``input keyevent`` and uiautomator2's pressKey.

``input keyevent`` accepts ``KEYCODE_HOME``, ``HOME`` or ``3``; uiautomator2 sends upper-cased names such as
``WAKEUP``. Only the codes a test bench plausibly sends are listed; any number is accepted as is.
"""

from __future__ import annotations

_NAMED = {
    "UNKNOWN": 0, "SOFT_LEFT": 1, "SOFT_RIGHT": 2, "HOME": 3, "BACK": 4, "CALL": 5, "ENDCALL": 6,
    "STAR": 17, "POUND": 18, "DPAD_UP": 19, "DPAD_DOWN": 20, "DPAD_LEFT": 21, "DPAD_RIGHT": 22,
    "DPAD_CENTER": 23, "VOLUME_UP": 24, "VOLUME_DOWN": 25, "POWER": 26, "CAMERA": 27, "CLEAR": 28,
    "COMMA": 55, "PERIOD": 56, "ALT_LEFT": 57, "ALT_RIGHT": 58, "SHIFT_LEFT": 59, "SHIFT_RIGHT": 60,
    "TAB": 61, "SPACE": 62, "SYM": 63, "EXPLORER": 64, "ENVELOPE": 65, "ENTER": 66, "DEL": 67, "GRAVE": 68,
    "MINUS": 69, "EQUALS": 70, "LEFT_BRACKET": 71, "RIGHT_BRACKET": 72, "BACKSLASH": 73, "SEMICOLON": 74,
    "APOSTROPHE": 75, "SLASH": 76, "AT": 77, "NUM": 78, "HEADSETHOOK": 79, "FOCUS": 80, "PLUS": 81,
    "MENU": 82, "NOTIFICATION": 83, "SEARCH": 84, "MEDIA_PLAY_PAUSE": 85, "MEDIA_STOP": 86,
    "MEDIA_NEXT": 87, "MEDIA_PREVIOUS": 88, "MEDIA_REWIND": 89, "MEDIA_FAST_FORWARD": 90, "MUTE": 91,
    "PAGE_UP": 92, "PAGE_DOWN": 93, "ESCAPE": 111, "FORWARD_DEL": 112, "MOVE_HOME": 122, "MOVE_END": 123,
    "MEDIA_PLAY": 126, "MEDIA_PAUSE": 127, "VOLUME_MUTE": 164, "APP_SWITCH": 187, "BRIGHTNESS_DOWN": 220,
    "BRIGHTNESS_UP": 221, "SLEEP": 223, "WAKEUP": 224, "SYSTEM_NAVIGATION_UP": 280,
}
_NAMED.update({str(d): 7 + d for d in range(10)})
_NAMED.update({chr(ord("A") + i): 29 + i for i in range(26)})

KEYCODES: dict[str, int] = {f"KEYCODE_{name}": code for name, code in _NAMED.items()}
NAMES: dict[int, str] = {code: name for name, code in KEYCODES.items()}

HOME, BACK, POWER, ENTER, SLEEP, WAKEUP = 3, 4, 26, 66, 223, 224
MENU, APP_SWITCH, ENDCALL, CALL = 82, 187, 6, 5


def keycode(text: str) -> int | None:
    """``"KEYCODE_HOME"``, ``"HOME"``, ``"home"`` or ``"3"`` → 3; None when unknown."""
    if text.isdigit():
        return int(text)
    name = text.upper()
    if not name.startswith("KEYCODE_"):
        name = "KEYCODE_" + name
    return KEYCODES.get(name)


def keyname(code: int) -> str:
    """The ``KEYCODE_*`` name of a code, or the number for unlisted codes."""
    return NAMES.get(code, str(code))
