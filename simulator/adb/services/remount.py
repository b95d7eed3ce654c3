"""``remount:`` — what adbd runs for ``adb remount`` when the host lacks ``remount_shell``: ``/system/bin/remount``
on a raw stream (AOSP ``daemon/services.cpp``). Newer clients run ``adb shell remount`` instead; both reach
the same device command (:mod:`simulator.shell.commands.remount`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .shell import NoCloseWriter

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice


def resolve(device: SimDevice, name: str) -> ServiceRunner:
    args = name[len("remount:"):]

    async def run(stream: AdbStream) -> None:
        out = NoCloseWriter(stream)
        await device.shell.run(f"/system/bin/remount {args}".strip(), stream, out, out)
        await stream.close()

    return run
