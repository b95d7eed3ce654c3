"""How long the simulated hardware takes for what a real device takes seconds for: reboot, boot, adbd restart.

The durations come from the device profile's ``[device]`` table (``shutdown_s``, ``boot_time_s``,
``adbd_restart_s``); their defaults are what a real Android 10-14 tablet shows (tens of seconds for a
reboot), so a lab's timeouts tuned on the simulator hold on hardware. Every duration is multiplied by the
device's time scale and by nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.profile import DeviceProfile


def boot_duration_s(profile: DeviceProfile) -> float:
    """From the link dropping (power cycle) to adbd accepting connections again, unscaled."""
    return float(profile.boot_time_s)


def shutdown_duration_s(profile: DeviceProfile) -> float:
    """From ``adb reboot`` to the link dropping (the framework shutting down), unscaled."""
    return float(getattr(profile, "shutdown_s", 4.0))


def adbd_restart_s(profile: DeviceProfile) -> float:
    """From ``adb root``/``adb unroot`` answering to adbd accepting connections again, unscaled."""
    return float(getattr(profile, "adbd_restart_s", 0.5))
