"""``cmd SERVICE ARGS`` — the binder shell commands of system services, which ``pm``, ``am``, ``wm``,
``settings`` and ``ime`` are thin wrappers of on Android 7+.

``cmd package install -S SIZE`` is also the streamed install path of ``adb install`` (through ``exec:`` or
``abb_exec:``): the APK arrives on stdin. A service without a shell command here answers like the real
``cmd``: ``cmd: Can't find service: NAME`` with status 20.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.shell.api import COMMANDS, CommandContext, command
from simulator.streams import ByteReader, ByteWriter

if TYPE_CHECKING:
    from simulator.device import SimDevice

# cmd service name → the device command that implements its shell command
SERVICE_COMMANDS = {
    "package": "pm", "activity": "am", "window": "wm", "settings": "settings", "input_method": "ime",
    "input": "input",
}
LISTED = tuple(sorted([*SERVICE_COMMANDS, "battery", "connectivity", "deviceidle"]))


async def _airplane_mode(ctx: CommandContext, args: list[str]) -> int:
    """``cmd connectivity airplane-mode [enable|disable]`` (Android 11+)."""
    glob = ctx.device.android.settings["global"]
    if not args:
        await ctx.out("enabled\n" if glob.get("airplane_mode_on") == "1" else "disabled\n")
        return 0
    if args[0] not in ("enable", "disable"):
        await ctx.err(f"Unsupported airplane-mode argument: {args[0]}\n")
        return 255
    glob["airplane_mode_on"] = "1" if args[0] == "enable" else "0"
    return 0
NOT_FOUND_STATUS = 20


async def run_argv(device: SimDevice, argv: list[str], stdin: ByteReader, stdout: ByteWriter,
                   stderr: ByteWriter) -> int:
    """Run a device command from an argv (no shell parsing), as its own process of adbd's uid."""
    adbd = device.processes.by_name("adbd")
    proc = device.processes.spawn(argv[0], device.shell_uid, ppid=adbd[0].pid if adbd else 1)
    try:
        fn = COMMANDS.get(argv[0])
        if fn is None:
            await stderr.write(f"{argv[0]}: inaccessible or not found\n".encode())
            return 127
        ctx = CommandContext(device, argv, stdin, stdout, stderr, {}, "/", device.shell_uid, proc.pid)
        return await fn(ctx)
    finally:
        device.processes.exit(proc, 0)


@command("cmd")
async def cmd(ctx: CommandContext) -> int:
    if not ctx.args or ctx.args[0] in ("-h", "--help"):
        await ctx.out("cmd [-w] [-l] <service> [arguments...]\n")
        return 0 if ctx.args else 20
    if ctx.args[0] == "-l":
        await ctx.out("Currently running services:\n" + "".join(f"  {name}\n" for name in LISTED))
        return 0
    service, rest = ctx.args[0], ctx.args[1:]
    if service == "connectivity" and rest[:1] == ["airplane-mode"]:
        return await _airplane_mode(ctx, rest[1:])
    if service in ("deviceidle", "battery"):
        from simulator.shell.commands.dumpsys import dumpsys

        return await dumpsys(CommandContext(ctx.device, ["dumpsys", service, *rest], ctx.stdin, ctx.stdout,
                                            ctx.stderr, ctx.env, ctx.cwd, ctx.uid, ctx.pid))
    target = SERVICE_COMMANDS.get(service)
    fn = COMMANDS.get(target) if target else None
    if fn is None:
        await ctx.err(f"cmd: Can't find service: {service}\n")
        return NOT_FOUND_STATUS
    sub = CommandContext(ctx.device, [target, *rest], ctx.stdin, ctx.stdout, ctx.stderr, ctx.env, ctx.cwd,
                         ctx.uid, ctx.pid)
    return await fn(sub)
