"""``remount`` (``/system/bin/remount``, what ``adb remount`` runs): the read-only partitions become writable.

As AOSP ``fs_mgr/fs_mgr_remount.cpp``: a user build answers ``Device must be userdebug build`` (status 1),
a shell that is not root ``Not running as root. Try "adb root" first.`` (status 3). As root the simulated
device, whose verity is off like a lab's userdebug image, remounts at once and says ``Remount succeeded``;
/system, /vendor, /product, ... then accept root's writes until the next reboot.
"""

from __future__ import annotations

from simulator.shell.api import CommandContext, command

NOT_USERDEBUG = 1
NOT_ROOT = 3


@command("remount")
async def remount(ctx: CommandContext) -> int:
    if ctx.device.props.get("ro.debuggable", "0") != "1":
        await ctx.err("Device must be userdebug build\n")
        return NOT_USERDEBUG
    if ctx.uid != 0:
        await ctx.err('Not running as root. Try "adb root" first.\n')
        return NOT_ROOT
    ctx.device.fs.system_writable = True
    ctx.device.adbd.remounted = True
    await ctx.out("Remount succeeded\n")
    return 0
