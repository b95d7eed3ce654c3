"""``su [WHO [COMMAND...]]`` (AOSP ``system/extras/su``): a userdebug build's su, for the shell user and root.

It runs COMMAND (default: a shell reading stdin) as WHO (a uid or ``root``/``shell``; default root). Any other
caller is refused with ``su: uid N not allowed to su``. User builds have no su: the device removes the binary
at start (``ls``, ``which``) and running it answers as the shell does for a missing program.
"""

from __future__ import annotations

import shlex

from simulator.shell.api import CommandContext, command
from simulator.shell.users import AID_NAMES

NAMES = {name: uid for uid, name in AID_NAMES.items()}


@command("su")
async def su(ctx: CommandContext) -> int:
    if ctx.device.props.get("ro.debuggable") != "1":
        await ctx.err("sh: su: not found\n")  # what the shell says for any missing program
        return 127
    if ctx.uid not in (0, 2000):
        return await ctx.fail(f"uid {ctx.uid} not allowed to su")
    args = list(ctx.args)
    if args and args[0] == "-c":  # the common misuse `su -c CMD`: real AOSP su rejects it the same way
        return await ctx.fail("unknown user '-c'")
    uid = 0
    if args:
        who = args.pop(0)
        if who.isdigit():
            uid = int(who)
        elif who in NAMES:
            uid = NAMES[who]
        else:
            return await ctx.fail(f"unknown user '{who}'")
    if args:
        script = " ".join(shlex.quote(a) for a in args)
    else:
        chunks = []
        while chunk := await ctx.stdin.read(65536):
            chunks.append(chunk)
        script = b"".join(chunks).decode(errors="surrogateescape")
    return await ctx.device.shell.run(script, ctx.stdin, ctx.stdout, ctx.stderr, env=dict(ctx.env), uid=uid)
