"""The key names ``UiDevice.pressKey`` accepts (what uiautomator2's ``d.press("home")`` sends)."""

from __future__ import annotations

from simulator.android import keys

PRESS_KEY_NAMES: dict[str, int] = {
    "home": keys.HOME, "back": keys.BACK, "left": 21, "right": 22, "up": 19, "down": 20, "center": 23,
    "menu": keys.MENU, "search": 84, "enter": keys.ENTER, "delete": 67, "del": 67, "recent": keys.APP_SWITCH,
    "volume_up": 24, "volume_down": 25, "volume_mute": 164, "camera": 27, "power": keys.POWER,
}


def keycode_for(name: str) -> int | None:
    """The key code for a pressKey name; None for names the real server rejects (it returns false)."""
    return PRESS_KEY_NAMES.get(name.strip().lower())
