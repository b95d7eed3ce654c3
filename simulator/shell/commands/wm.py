"""``wm size|density``: the display's physical values and the logical override every reader sees."""

from __future__ import annotations

import re

from simulator.shell.api import CommandContext, command


@command("wm")
async def wm(ctx: CommandContext) -> int:
    system = ctx.device.android
    args = list(ctx.args)
    if "-d" in args:  # display id: only display 0 exists
        i = args.index("-d")
        del args[i:i + 2]
    if not args:
        await ctx.err("Window manager (window) commands:\n  size [reset|WxH|WdpxHdp]\n  density [reset|DENSITY]\n")
        return 255
    verb, rest = args[0], args[1:]
    if verb == "dismiss-keyguard":  # the lock screen (simulator.android.power.Keyguard)
        system.keyguard.set(False)
        return 0
    screen = system.screen
    if verb == "size":
        if not rest:
            pw, ph = system.physical_size
            text = f"Physical size: {pw}x{ph}\n"
            # Both sizes are in the display's natural orientation, whatever its rotation now.
            width, height = (screen.height, screen.width) if screen.rotation % 2 else (screen.width, screen.height)
            if (width, height) != (pw, ph):
                text += f"Override size: {width}x{height}\n"
            await ctx.out(text)
            return 0
        if rest[0] == "reset":
            system.set_display_size(None)
            return 0
        m = re.fullmatch(r"(\d+)x(\d+)", rest[0])
        if not m or not int(m.group(1)) or not int(m.group(2)):
            await ctx.err(f"Error: bad size {rest[0]}\n")
            return 255
        system.set_display_size((int(m.group(1)), int(m.group(2))))
        return 0
    if verb == "density":
        if not rest:
            text = f"Physical density: {system.physical_density}\n"
            if screen.density != system.physical_density:
                text += f"Override density: {screen.density}\n"
            await ctx.out(text)
            return 0
        if rest[0] == "reset":
            system.set_display_density(None)
            return 0
        if not rest[0].isdigit() or int(rest[0]) < 72:
            await ctx.err(f"Error: bad number {rest[0]}\n")
            return 255
        system.set_display_density(int(rest[0]))
        return 0
    await ctx.err(f"Error: unknown command '{verb}'\n")
    return 255
