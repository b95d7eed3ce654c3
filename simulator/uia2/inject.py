"""How the uiautomator server's injected input reaches the simulated device.

Keys and power go through the Android framework model (:meth:`AndroidSystem.press_key` applies the key
policy: POWER/WAKEUP/SLEEP, HOME to the launcher, BACK finishing the activity), so a key pressed through
uiautomator2 behaves exactly like ``input keyevent``. Taps hit the screen's view tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.android import keys

if TYPE_CHECKING:
    from simulator.device import SimDevice


def tap(device: SimDevice, x: int, y: int, *, long: bool = False) -> bool:
    """A finger tap (or long press) at a screen point; True when a view handled it."""
    return device.android.screen.tap(x, y, long=long)


def key(device: SimDevice, keycode: int) -> bool:
    """A key press (down + up), through the framework's key policy."""
    return device.android.press_key(keycode)


def set_screen_on(device: SimDevice, on: bool) -> None:
    """``UiDevice.wakeUp``/``sleep``: press POWER only when the display is not already in that state."""
    if device.android.screen.on != on:
        device.android.press_key(keys.POWER)
