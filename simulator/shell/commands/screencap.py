"""``screencap [-p] [-d DISPLAY] [FILE]``: PNG with ``-p`` or a ``.png`` file name, else raw RGBA."""

from __future__ import annotations

from simulator.android import render
from simulator.fs import FsError
from simulator.shell.api import CommandContext, command

USAGE = """usage: screencap [-hp] [-d display-id] [FILENAME]
   -h: this message
   -p: save the file as a png.
   -d: specify the physical display ID to capture (default: 0)
If FILENAME ends with .png it will be saved as a png.
If FILENAME is not given, the results will be printed to stdout.
"""


@command("screencap")
async def screencap(ctx: CommandContext) -> int:
    png = False
    path: str | None = None
    args = list(ctx.args)
    while args:
        arg = args.pop(0)
        if arg == "-p":
            png = True
        elif arg == "-d" and args:
            args.pop(0)
        elif arg == "-h" or (arg.startswith("-") and len(arg) > 1):
            await ctx.err(USAGE)
            return 1 if arg != "-h" else 0
        else:
            path = arg
    screen = ctx.device.android.screen
    if path is not None and path.endswith(".png"):
        png = True
    data = await render.png_bytes(screen) if png else render.raw_bytes(screen)
    if path is None:
        await ctx.out(data)
        return 0
    try:
        ctx.device.fs.write_file(ctx.path(path), data, uid=ctx.uid)
    except FsError as exc:
        await ctx.err(f"Error opening file: {path} ({exc.strerror})\n")
        return 1
    return 0
