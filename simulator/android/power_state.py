"""Battery and Doze (deviceidle) state: what ``dumpsys battery set|unplug|reset`` and ``dumpsys deviceidle
force-idle|step|unforce|enable|disable|whitelist`` change, and what ``/sys/class/power_supply``, ``dumpsys
battery``, ``dumpsys deviceidle`` and ``dumpsys power`` report.

The simulator's WMPF model does not (yet) defer pushes while idle; the state is observable, as on a device,
for lab scripts that set it and read it back.
"""

from __future__ import annotations

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

    def force_idle(self) -> None:
        self.deep, self.light, self.forced = "IDLE", "OVERRIDE", True

    def unforce(self) -> None:
        self.deep, self.light, self.forced = "ACTIVE", "ACTIVE", False

    def step(self, which: str = "deep") -> str:
        self.forced = True
        if which == "light":
            self.light = LIGHT_STEPS[(LIGHT_STEPS.index(self.light) + 1) % len(LIGHT_STEPS)] \
                if self.light in LIGHT_STEPS else "INACTIVE"
            return self.light
        self.deep = DEEP_STEPS[(DEEP_STEPS.index(self.deep) + 1) % len(DEEP_STEPS)]
        return self.deep
