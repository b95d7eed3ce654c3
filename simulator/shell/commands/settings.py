"""``settings get|put|delete|list NAMESPACE ...`` over the framework model's settings tables (which survive
reboots, like the real settings provider)."""

from __future__ import annotations

from simulator.shell.api import CommandContext, command

SETTINGS_USAGE = """usage:  settings [--user <USER_ID> | current] get namespace key
        settings [--user <USER_ID> | current] put namespace key value
        settings [--user <USER_ID> | current] delete namespace key
        settings [--user <USER_ID> | current] list namespace

'namespace' is one of {system, secure, global}, case-insensitive
"""


@command("settings")
async def settings(ctx: CommandContext) -> int:
    args = list(ctx.args)
    if len(args) >= 2 and args[0] == "--user":
        args = args[2:]
    store = ctx.device.android.settings
    if len(args) < 2 or args[1].lower() not in store:
        await ctx.err(SETTINGS_USAGE)
        return 255
    verb, table = args[0], store[args[1].lower()]
    rest = args[2:]
    if verb == "get" and len(rest) == 1:
        await ctx.out(table.get(rest[0], "null") + "\n")
    elif verb == "put" and len(rest) >= 2:
        table[rest[0]] = rest[1]  # a trailing "default" tag is accepted and ignored
    elif verb == "delete" and len(rest) == 1:
        await ctx.out(f"Deleted {1 if table.pop(rest[0], None) is not None else 0} rows\n")
    elif verb == "list" and not rest:
        await ctx.out("".join(f"{key}={value}\n" for key, value in sorted(table.items())))
    else:
        await ctx.err(SETTINGS_USAGE)
        return 255
    return 0
