"""``dumpsys SERVICE [ARGS]`` for the services a bench reads: window, activity, power, package, display,
input, battery. The texts live in :mod:`simulator.android.dumps`."""

from __future__ import annotations

from simulator.android import dumps
from simulator.shell.api import CommandContext, command

SERVICES = ("activity", "battery", "display", "input", "package", "power", "window")


def _input(ctx: CommandContext) -> str:
    screen = ctx.device.android.screen
    return ("INPUT MANAGER (dumpsys input)\n\nInput Manager State:\n  Interactive: "
            f"{str(screen.on).lower()}\n\nInput Reader State:\n  Device 2: touchscreen\n"
            f"    Viewport INTERNAL: displayId=0, orientation={screen.rotation}, "
            f"logicalFrame=[0, 0, {screen.width}, "
            f"{screen.height}]\n      SurfaceOrientation: {screen.rotation}\n")


@command("dumpsys")
async def dumpsys(ctx: CommandContext) -> int:
    args = ctx.args
    system = ctx.device.android
    if not args or args[0] == "-l":
        await ctx.out("Currently running services:\n" + "".join(f"  {s}\n" for s in SERVICES))
        return 0
    service, rest = args[0], [a for a in args[1:] if a not in ("-a",)]
    what = rest[0] if rest else None
    if service == "window":
        text = dumps.window(system, {"d": "displays", "w": "windows"}.get(what or "", what))
    elif service == "activity":
        text = dumps.activity(system, {"a": "activities"}.get(what or "", what))
    elif service == "power":
        text = dumps.power(system)
    elif service == "display":
        text = dumps.display(system)
    elif service == "battery":
        text = dumps.battery()
    elif service == "input":
        text = _input(ctx)
    elif service == "package":
        names = [a for a in rest if not a.startswith("-")]
        targets = names if names else sorted(system.packages)
        text = "".join(dumps.package_dump(system, name) for name in targets)
    else:
        await ctx.err(f"Can't find service: {service}\n")
        return 0
    await ctx.out(text)
    return 0
