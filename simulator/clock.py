"""The device's clocks, deliberately not the host's.

A real device's wall clock is off from the lab host's by some offset and runs at a slightly different rate.
The harness must measure and correct for that, so the simulator models it: device wall time =
host wall time at start + elapsed host monotonic time × (1 + drift) + offset. Anchoring on the host's
monotonic clock keeps the device clock smooth even if the host's wall clock steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class DeviceClock:
    offset_s: float = 0.0
    drift_ppm: float = 0.0
    _host_wall0_ns: int = field(default_factory=time.time_ns, repr=False)
    _host_mono0_ns: int = field(default_factory=time.monotonic_ns, repr=False)
    _boot_mono_ns: int = field(default_factory=time.monotonic_ns, repr=False)

    @property
    def rate(self) -> float:
        return 1.0 + self.drift_ppm * 1e-6

    def wall_ns(self, host_mono_ns: int | None = None) -> int:
        """Device wall clock (ns since the epoch) at a host monotonic instant (default: now)."""
        mono = time.monotonic_ns() if host_mono_ns is None else host_mono_ns
        elapsed = (mono - self._host_mono0_ns) * self.rate
        return self._host_wall0_ns + int(elapsed) + int(self.offset_s * 1e9)

    def uptime_ns(self, host_mono_ns: int | None = None) -> int:
        """Time since the device booted, on the device's (drifting) oscillator."""
        mono = time.monotonic_ns() if host_mono_ns is None else host_mono_ns
        return int((mono - self._boot_mono_ns) * self.rate)

    def mark_boot(self) -> None:
        """Restart the uptime counter (a reboot); the wall clock carries on."""
        self._boot_mono_ns = time.monotonic_ns()
