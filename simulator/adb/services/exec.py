"""``exec:CMD`` (adb exec-out): the command's raw output bytes, no pty and no packet framing.

Like adbd with the ``none`` shell protocol, stderr goes to the same stream as stdout; the exit status is
lost. ``adb exec-out screencap -p`` relies on nothing else being written, so nothing is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .shell import NoCloseWriter

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice


def resolve(device: SimDevice, name: str) -> ServiceRunner:
    command = name[len("exec:"):]

    async def run(stream: AdbStream) -> None:
        out = NoCloseWriter(stream)
        await device.shell.run(command, stream, out, out)
        await stream.close()

    return run
