"""Battery and Doze (deviceidle) state: what ``dumpsys battery set|unplug|reset`` and ``dumpsys deviceidle
force-idle|step|unforce|enable|disable|whitelist`` change, and what ``/sys/class/power_supply``, ``dumpsys
battery``, ``dumpsys deviceidle`` and ``dumpsys power`` report.

Listeners hear every Doze change: :mod:`simulator.android.power` holds pushes in deep idle until a
maintenance window, per the device profile's ``[field]`` table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

DEEP_STEPS = ("ACTIVE", "INACTIVE", "IDLE_PENDING", "SENSING", "LOCATING", "IDLE", "IDLE_MAINTENANCE")
LIGHT_STEPS = ("ACTIVE", "INACTIVE", "IDLE", "IDLE_MAINTENANCE")
STATUS_NAMES = {1: "Unknown", 2: "Charging", 3: "Discharging", 4: "Not charging", 5: "Full"}


@dataclass
class BatteryState:
    level: int = 100
    ac: bool = True
    usb: bool = False
    status: int = 5  # BatteryManager.BATTERY_STATUS_FULL
    temperature: int = 280  # tenths of a degree C
    voltage_mv: int = 4350
    unplugged_by_shell: bool = False

    @property
    def plugged(self) -> bool:
        return self.ac or self.usb

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, "Unknown")

    def unplug(self) -> None:
        self.ac = self.usb = False
        self.status = 3
        self.unplugged_by_shell = True

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


@dataclass
class DeviceIdleState:
    enabled: bool = True
    deep: str = "ACTIVE"
    light: str = "ACTIVE"
    forced: bool = False
    whitelist: set[str] = field(default_factory=lambda: {"com.android.shell"})
    # told after every change (simulator.android.power: maintenance windows, held pushes, ground truth)
    listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def force_idle(self) -> None:
        self.deep, self.light, self.forced = "IDLE", "OVERRIDE", True
        self.changed()

    def unforce(self) -> None:
        self.deep, self.light, self.forced = "ACTIVE", "ACTIVE", False
        self.changed()

    def step(self, which: str = "deep") -> str:
        self.forced = True
        if which == "light":
            self.light = LIGHT_STEPS[(LIGHT_STEPS.index(self.light) + 1) % len(LIGHT_STEPS)] \
                if self.light in LIGHT_STEPS else "INACTIVE"
            self.changed()
            return self.light
        self.deep = DEEP_STEPS[(DEEP_STEPS.index(self.deep) + 1) % len(DEEP_STEPS)]
        self.changed()
        return self.deep
