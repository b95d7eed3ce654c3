"""``am set-inactive|get-inactive|set-standby-bucket|get-standby-bucket|send-trim-memory`` and
``wm dismiss-keyguard``: the app-standby, memory-pressure and lock-screen controls a lab drives.

Standby state and the keyguard live in :mod:`simulator.android.power`; these commands only parse and call in.
``send-trim-memory`` logs the level as ActivityManager does and tells the app's model (``on_trim_memory``),
which may drop what it keeps warm. Registered into ``am``'s subcommand table on import; ``wm dismiss-keyguard``
is a branch of ``wm``.
"""

from __future__ import annotations

from simulator.android.field import BUCKETS
from simulator.android.system import UnknownPackageError
from simulator.shell.api import CommandContext
from simulator.shell.commands import am as am_module

BUCKET_NUMBERS = {"active": 10, "working_set": 20, "frequent": 30, "rare": 40, "restricted": 45}
TRIM_LEVELS = {"HIDDEN": 20, "RUNNING_MODERATE": 5, "BACKGROUND": 40, "RUNNING_LOW": 10, "MODERATE": 60,
               "RUNNING_CRITICAL": 15, "COMPLETE": 80}


def _user_and_rest(args: am_module.Args) -> list[str]:
    rest: list[str] = []
    while args.more():
        arg = args.next()
        if arg == "--user":
            args.value(arg)
        else:
            rest.append(arg)
    return rest


async def _unknown(ctx: CommandContext, package: str) -> int:
    await ctx.err(f"Error: Unknown package: {package}\n")  # what UsageStatsService's shell says, roughly
    return 255


async def am_set_inactive(ctx: CommandContext, args: am_module.Args) -> int:
    rest = _user_and_rest(args)
    if len(rest) != 2 or rest[1] not in ("true", "false"):
        raise am_module.AmUsageError("set-inactive [--user <USER_ID>] <PACKAGE> true|false")
    system = ctx.device.android
    try:
        system.spec(rest[0])
    except UnknownPackageError:
        return await _unknown(ctx, rest[0])
    system.standby.set_inactive(rest[0], rest[1] == "true")
    return 0


async def am_get_inactive(ctx: CommandContext, args: am_module.Args) -> int:
    rest = _user_and_rest(args)
    if len(rest) != 1:
        raise am_module.AmUsageError("get-inactive [--user <USER_ID>] <PACKAGE>")
    bucket = ctx.device.android.standby.bucket(rest[0])
    await ctx.out(f"Idle={'true' if BUCKETS.index(bucket) >= BUCKETS.index('rare') else 'false'}\n")
    return 0


async def am_set_standby_bucket(ctx: CommandContext, args: am_module.Args) -> int:
    rest = _user_and_rest(args)
    if len(rest) != 2:
        raise am_module.AmUsageError("set-standby-bucket [--user <USER_ID>] <PACKAGE> "
                                     "active|working_set|frequent|rare|restricted")
    package, bucket = rest
    if bucket.isdigit():
        bucket = next((name for name, n in BUCKET_NUMBERS.items() if n == int(bucket)), bucket)
    if bucket not in BUCKETS:
        await ctx.err(f"Error: Unknown bucket: {bucket}\n")
        return 255
    system = ctx.device.android
    try:
        system.spec(package)
    except UnknownPackageError:
        return await _unknown(ctx, package)
    system.standby.set_bucket(package, bucket)
    return 0


async def am_get_standby_bucket(ctx: CommandContext, args: am_module.Args) -> int:
    rest = _user_and_rest(args)
    standby = ctx.device.android.standby
    if rest:
        await ctx.out(f"{BUCKET_NUMBERS[standby.bucket(rest[0])]}\n")
    else:
        await ctx.out("".join(f"{pkg}: {BUCKET_NUMBERS[standby.bucket(pkg)]}\n"
                              for pkg in sorted(ctx.device.android.packages)))
    return 0


async def am_send_trim_memory(ctx: CommandContext, args: am_module.Args) -> int:
    rest = _user_and_rest(args)
    if len(rest) != 2:
        raise am_module.AmUsageError("send-trim-memory [--user <USER_ID>] <PROCESS> "
                                     "[HIDDEN|RUNNING_MODERATE|BACKGROUND|RUNNING_LOW|MODERATE|RUNNING_CRITICAL|COMPLETE]")
    target, level = rest
    if level not in TRIM_LEVELS:
        await ctx.err(f"Error: Unknown level option: {level}\n")
        return 255
    system = ctx.device.android
    proc = system.process_of(target) if target in system.packages else None
    if proc is None:
        await ctx.err(f"Error: Unknown process: {target}\n")
        return 255
    system._log("I", "ActivityManager", f"Send trim memory level {TRIM_LEVELS[level]} to {proc.name} "
                                        f"(pid {proc.pid})")
    system._call(target, "on_trim_memory", TRIM_LEVELS[level])
    return 0


am_module.SUBCOMMANDS.update({
    "set-inactive": am_set_inactive, "get-inactive": am_get_inactive,
    "set-standby-bucket": am_set_standby_bucket, "get-standby-bucket": am_get_standby_bucket,
    "send-trim-memory": am_send_trim_memory,
})
