"""Whether the device has a network for its apps, and since when: Wi-Fi and airplane mode as adb sets them.

``svc wifi disable|enable`` and ``cmd connectivity airplane-mode enable|disable`` write the global settings
``wifi_on`` and ``airplane_mode_on`` (:mod:`simulator.shell.commands`); this module watches those two keys so
that a change is noticed when it happens (the ground truth records it, held pushes are released) instead of
when the next push looks. The device's adb link is not affected: the lab's adb reaches the simulator over
loopback, as a lab's USB cable does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.android.system import AndroidSystem

WATCHED = ("wifi_on", "airplane_mode_on")


class _WatchedSettings(dict[str, str]):
    """The global settings table, telling a callback when a watched key changes value."""

    on_change: Callable[[], None] | None = None

    def __setitem__(self, key: str, value: str) -> None:
        old = self.get(key)
        super().__setitem__(key, value)
        if key in WATCHED and old != value and self.on_change is not None:
            self.on_change()

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


class Connectivity:
    """The network as apps see it; ``listeners`` hear ``(up)`` on every change."""

    def __init__(self, system: AndroidSystem, now_s: Callable[[], float]) -> None:
        self.system = system
        self.now_s = now_s
        table = _WatchedSettings(system.settings.get("global", {}))
        table.on_change = self._changed
        system.settings["global"] = table
        self.up = self._read()
        self.changed_at_s: float | None = None  # the last change seen (None: none since boot)
        self.listeners: list[Callable[[bool], None]] = []

    def _read(self) -> bool:
        glob = self.system.settings["global"]
        return glob.get("wifi_on", "1") != "0" and glob.get("airplane_mode_on", "0") != "1"

    @property
    def cause(self) -> str:
        """Why the network is down, for the ground truth: airplane mode wins over Wi-Fi."""
        glob = self.system.settings["global"]
        return "airplane_mode" if glob.get("airplane_mode_on") == "1" else "wifi_off"

    def _changed(self) -> None:
        up = self._read()
        if up == self.up:
            return
        self.up = up
        self.changed_at_s = self.now_s()
        for listener in list(self.listeners):
            listener(up)
