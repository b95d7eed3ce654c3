"""adbd's own state on a simulated device: who it runs as, whether /system is remounted, reverse forwards.

A real userdebug adbd restarts itself for ``adb root``/``adb unroot`` (``service.adb.root``), so every link
drops and the host reconnects; ``adb remount`` makes the read-only partitions writable; ``adb reverse``
makes adbd listen on a device port and open a stream toward the host for each connection. None of this
survives a reboot, and reverse forwards also end when adbd restarts — as on hardware.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReverseForward:
    """One ``adb reverse DEVICE_SPEC HOST_SPEC``: the device listens on ``local``, the host connects ``remote``."""

    local: str  # device side, e.g. "tcp:8081"
    remote: str  # host side, e.g. "tcp:9000"
    port: int  # the device port listened on
    link: object = field(default=None, repr=False, compare=False)  # the adb connection that asked for it


@dataclass
class AdbdState:
    root: bool = False
    restarting: bool = False
    remounted: bool = False
    reverse: dict[str, ReverseForward] = field(default_factory=dict)

    def reset(self) -> None:
        """A reboot: adbd starts unprivileged, partitions read-only, no forwards."""
        self.root = False
        self.restarting = False
        self.remounted = False
        self.reverse.clear()
