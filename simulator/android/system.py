"""PLACEHOLDER: replaced by the Android framework model (packages, activities, broadcasts, screen)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.android.ui import Screen

if TYPE_CHECKING:
    from simulator.device import SimDevice


class AndroidSystem:
    def __init__(self, device: SimDevice) -> None:
        self.device = device
        p = device.profile
        self.screen = Screen(p.screen_width, p.screen_height, p.screen_density)

    def boot(self) -> None:
        pass

    def shutdown(self) -> None:
        pass
