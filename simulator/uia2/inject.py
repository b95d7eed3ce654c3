"""How the uiautomator server's injected input reaches the simulated device.

Taps, keys and power go through the Android framework model when it offers an input entry point (so the
launcher/HOME handling, logcat lines and power state stay in one place), and straight to the
:class:`~simulator.android.ui.Screen` otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.uia2.keys import KEYCODE_POWER, KEYCODE_SLEEP, KEYCODE_WAKEUP

if TYPE_CHECKING:
    from simulator.device import SimDevice


def tap(device: SimDevice, x: int, y: int, *, long: bool = False) -> bool:
    """A finger tap (or long press) at a screen point; True when a view handled it."""
    android = device.android
    hook = getattr(android, "inject_tap", None)
    if callable(hook):
        return bool(hook(x, y, long=long))
    return device.android.screen.tap(x, y, long=long)


def key(device: SimDevice, keycode: int) -> bool:
    """A key press (down + up). POWER/WAKEUP/SLEEP change the display power like the real keys."""
    android = device.android
    hook = getattr(android, "inject_key", None)
    if callable(hook):
        return bool(hook(keycode))
    screen = android.screen
    if keycode == KEYCODE_POWER:
        screen.set_power(not screen.on)
        return True
    if keycode in (KEYCODE_WAKEUP, KEYCODE_SLEEP):
        screen.set_power(keycode == KEYCODE_WAKEUP)
        return True
    screen.key(keycode)
    return True


def set_screen_on(device: SimDevice, on: bool) -> None:
    if device.android.screen.on != on:
        key(device, KEYCODE_WAKEUP if on else KEYCODE_SLEEP)
