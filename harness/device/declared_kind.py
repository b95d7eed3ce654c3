"""Hardware or simulated, and at what time scale: what the device itself declares.

The simulator sets :data:`TIME_SCALE_PROP` on every device it runs; a real device has no such property. So a run
that meets a simulated device through ``--serial`` (``wmpf-hil sim`` beside the harness, a farm of simulators)
labels its records "simulated at time scale X" like the embedded default does, instead of calling the simulator
hardware; and its bounds and holds scale with that device's timers. Nothing the harness does on a device depends
on this beyond the label and the scale: a device without the property is hardware at scale 1.
"""

from __future__ import annotations

import adbutils

from harness.errors import LabError

TIME_SCALE_PROP = "ro.wmpf_hil.time_scale"


def declared_time_scale(device: adbutils.AdbDevice) -> float | None:
    """The time scale a simulated device declares; None for hardware (no such property)."""
    return parse_time_scale(device.serial or "?", device.getprop(TIME_SCALE_PROP))


def parse_time_scale(serial: str, raw: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        scale = float(raw)
    except ValueError:
        raise LabError(f"{serial}: {TIME_SCALE_PROP} is {raw!r}, not a number") from None
    if not scale > 0:
        raise LabError(f"{serial}: {TIME_SCALE_PROP} is {raw!r}; a time scale is positive")
    return scale


def lab_time_scale(scales: dict[str, float | None]) -> float | None:
    """One run's devices: the common declared scale (None: all hardware); mixed kinds or scales are refused
    (their figures cannot share one table or gate)."""
    kinds = set(scales.values())
    if len(kinds) > 1:
        described = ", ".join(f"{s} ({'hardware' if v is None else f'simulated at time scale {v:g}'})"
                              for s, v in scales.items())
        raise LabError(f"devices of different kinds in one run: {described}; run them apart")
    return next(iter(kinds), None)
