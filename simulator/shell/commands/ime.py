"""``ime`` (``cmd input_method``): list, enable, disable and set input methods.

The list is the built-in LatinIME plus every installed APK's ``android.view.InputMethod`` service
(:func:`simulator.android.packages.input_methods`), so uiautomator2 finds its AdbKeyboard after installing it.
"""

from __future__ import annotations

from simulator.android import packages
from simulator.android.adb_keyboard import current_ime
from simulator.shell.api import CommandContext, command

USAGE = """ime <command>:
  list [-a] [-s]
  enable [--user <USER_ID>] <ID>
  disable [--user <USER_ID>] <ID>
  set [--user <USER_ID>] <ID>
  reset [--user <USER_ID>]
"""


def _enabled(ctx: CommandContext) -> list[str]:
    text = ctx.device.android.settings["secure"].get("enabled_input_methods", "")
    return [i for i in text.split(":") if i]


def _set_enabled(ctx: CommandContext, ids: list[str]) -> None:
    ctx.device.android.settings["secure"]["enabled_input_methods"] = ":".join(ids)


@command("ime")
async def ime(ctx: CommandContext) -> int:
    args = [a for a in ctx.args]
    if not args:
        await ctx.out(USAGE)
        return 0
    verb, rest = args[0], [a for a in args[1:] if a not in ("--user",) and not a.isdigit()]
    system = ctx.device.android
    known = packages.input_methods(system)
    if verb == "list":
        chosen = known if "-a" in rest else [i for i in known if i in _enabled(ctx)]
        if "-s" in rest:
            await ctx.out("".join(f"{i}\n" for i in chosen))
        else:
            await ctx.out("".join(f"{i}:\n  mId={i} mSettingsActivity=null\n" for i in chosen))
        return 0
    ids = [a for a in rest if not a.startswith("-")]
    if verb in ("enable", "disable", "set") and not ids:
        await ctx.err(f"Error: no input method id given to {verb}\n")
        return 255
    if verb in ("enable", "disable"):
        status = 0
        enabled = _enabled(ctx)
        for ime_id in ids:
            if ime_id not in known:
                await ctx.err(f"Unknown input method {ime_id} cannot be enabled for user #0\n")
                status = 255
                continue
            if verb == "enable":
                was = ime_id in enabled
                if not was:
                    enabled.append(ime_id)
                await ctx.out(f"Input method {ime_id}: {'already enabled' if was else 'now enabled'} for user #0\n")
            else:
                was = ime_id in enabled
                if was:
                    enabled.remove(ime_id)
                await ctx.out(f"Input method {ime_id}: {'now disabled' if was else 'already disabled'} for user #0\n")
        _set_enabled(ctx, enabled)
        return status
    if verb == "set":
        ime_id = ids[0]
        if ime_id not in known or ime_id not in _enabled(ctx):
            await ctx.err(f"Unknown input method {ime_id} cannot be selected for user #0\n")
            return 255
        system.settings["secure"]["default_input_method"] = ime_id
        await ctx.out(f"Input method {ime_id} selected for user #0\n")
        return 0
    if verb == "reset":
        system.settings["secure"]["default_input_method"] = known[0]
        _set_enabled(ctx, [known[0]])
        await ctx.out(f"Reset current and enabled IMEs for user #0\n  Selected: {current_ime(system)}\n")
        return 0
    await ctx.err(f"Unknown command: {verb}\n")
    return 255
