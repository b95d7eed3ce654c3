"""Key names and codes as ``UiDevice.pressKey*`` understands them (``android.view.KeyEvent`` values)."""

from __future__ import annotations

KEYCODE_HOME = 3
KEYCODE_BACK = 4
KEYCODE_POWER = 26
KEYCODE_WAKEUP = 224
KEYCODE_SLEEP = 223

# The names the uiautomator2 server accepts in pressKey (case-insensitive).
KEY_NAMES: dict[str, int] = {
    "home": KEYCODE_HOME, "back": KEYCODE_BACK, "left": 21, "right": 22, "up": 19, "down": 20,
    "center": 23, "menu": 82, "search": 84, "enter": 66, "delete": 67, "del": 67, "recent": 187,
    "volume_up": 24, "volume_down": 25, "volume_mute": 164, "camera": 27, "power": KEYCODE_POWER,
}


def keycode_for(name: str) -> int | None:
    """The key code for a pressKey name; None for names the real server rejects (it returns false)."""
    return KEY_NAMES.get(name.strip().lower())
