"""``dumpsys SERVICE [ARGS]`` for the services a bench reads: window, activity (sections activities, top,
processes, services, broadcasts, recents, lru), power, package, display, input, battery (and its ``set``/
``unplug``/``reset``), meminfo, cpuinfo, deviceidle (and its ``force-idle``/``step``/``unforce``/...),
SurfaceFlinger, connectivity. The texts live in :mod:`simulator.android.dumps` and
:mod:`simulator.android.dumps_more`."""

from __future__ import annotations

from simulator.android import dumps, dumps_more
from simulator.shell.api import CommandContext, command

SERVICES = ("SurfaceFlinger", "activity", "battery", "connectivity", "cpuinfo", "deviceidle", "display", "gfxinfo",
            "input", "meminfo", "package", "power", "window")
ACTIVITY_SECTIONS = {"a": "activities", "activities": "activities", "top": "top", "p": "processes",
                     "processes": "processes", "s": "services", "services": "services", "b": "broadcasts",
                     "broadcasts": "broadcasts", "r": "recents", "recents": "recents", "lru": "lru"}


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
    if service == "-t" and len(args) > 2:  # dumpsys -t TIMEOUT SERVICE
        service, rest = args[2], args[3:]
    what = rest[0] if rest else None
    if service == "window":
        text = dumps.window(system, {"d": "displays", "w": "windows"}.get(what or "", what))
    elif service == "activity":
        section = ACTIVITY_SECTIONS.get(what or "", what)
        if section == "services":
            text = dumps_more.activity_services(system)
        elif section == "broadcasts":
            text = dumps_more.activity_broadcasts(system)
        elif section == "recents":
            text = dumps_more.activity_recents(system)
        elif section == "lru":
            text = dumps_more.activity_lru(system)
        elif section is None:
            text = "\n".join([dumps.activity(system, "activities"), dumps_more.activity_services(system),
                              dumps_more.activity_broadcasts(system), dumps_more.activity_recents(system),
                              dumps.activity(system, "processes")])
        else:
            text = dumps.activity(system, section)
    elif service == "meminfo":
        text = dumps_more.meminfo(system, rest)
    elif service == "cpuinfo":
        text = dumps_more.cpuinfo(system)
    elif service == "deviceidle":
        text = dumps_more.deviceidle(system, rest)
    elif service == "SurfaceFlinger":
        text = dumps_more.surfaceflinger(system, rest)
    elif service == "connectivity":
        text = dumps_more.connectivity(system)
    elif service == "gfxinfo":
        text = dumps_more.gfxinfo(system, rest)
    elif service == "power":
        text = dumps.power(system)
    elif service == "display":
        text = dumps.display(system)
    elif service == "battery":
        answer = dumps_more.battery_command(system, rest)
        text = answer if answer is not None else dumps_more.battery(system)
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
