"""``reboot:[TARGET]`` (adb reboot, adb reboot bootloader, ...).

Every target reboots into Android: the simulated device has no bootloader or recovery to stay in. The
device drops its links itself shortly after, so the host sees it go offline and come back after boot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice

log = logging.getLogger(__name__)


def resolve(device: SimDevice, name: str) -> ServiceRunner:
    target = name.partition(":")[2]

    async def run(stream: AdbStream) -> None:
        log.info("%s: reboot requested (target %r)", device.serialno, target or "android")
        device.reboot()
        await stream.close()

    return run
