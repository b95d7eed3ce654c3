"""Android's own shell tools: ``log`` (write to logcat), ``svc`` (wifi, data, power, usb, bluetooth) and
``content`` (query/insert/update/delete on the settings provider).

``svc power reboot`` reboots like ``adb reboot``; ``svc wifi disable`` turns the simulated Wi-Fi off
(``settings global wifi_on``); ``content`` serves only ``content://settings/{system,secure,global}`` and
answers any other authority as the real tool does when no provider exists.
"""

from __future__ import annotations

import re

from simulator.shell.api import CommandContext, command

LOG_PRIORITIES = {"v": "V", "d": "D", "i": "I", "w": "W", "e": "E", "f": "F", "s": "F"}


@command("log")
async def log_command(ctx: CommandContext) -> int:
    args = list(ctx.args)
    priority, tag = "I", "log"
    while args and args[0].startswith("-") and len(args[0]) > 1:
        flag = args.pop(0)
        if flag in ("-p", "-t") and args:
            value = args.pop(0)
            if flag == "-p":
                if value.lower()[:1] not in LOG_PRIORITIES:
                    await ctx.err(f"log: bad priority '{value}'\n")
                    return 1
                priority = LOG_PRIORITIES[value.lower()[:1]]
            else:
                tag = value
        else:
            await ctx.err("usage: log [-p PRI] [-t TAG] MESSAGE...\n")
            return 1
    message = " ".join(args)
    if not message:
        message = (await _read_all(ctx)).decode(errors="replace").rstrip("\n")
    ctx.device.logcat.log(priority, tag, message, pid=ctx.pid, uid=ctx.uid)
    return 0


async def _read_all(ctx: CommandContext) -> bytes:
    parts = []
    while chunk := await ctx.stdin.read(65536):
        parts.append(chunk)
    return b"".join(parts)


SVC_USAGE = """Available commands:
    help     Show information about the subcommands
    power    Control the power manager
    data     Control mobile data connectivity
    wifi     Control the Wi-Fi manager
    usb      Control Usb state
    nfc      Control NFC functions
    bluetooth Control Bluetooth service
"""


@command("svc")
async def svc(ctx: CommandContext) -> int:
    if not ctx.args or ctx.args[0] == "help":
        await ctx.out(SVC_USAGE)
        return 0
    service, rest = ctx.args[0], ctx.args[1:]
    system = ctx.device.android
    glob = system.settings["global"]
    if service in ("wifi", "data", "bluetooth") and rest and rest[0] in ("enable", "disable"):
        on = rest[0] == "enable"
        key = {"wifi": "wifi_on", "data": "mobile_data", "bluetooth": "bluetooth_on"}[service]
        glob[key] = "1" if on else "0"
        if service == "wifi":  # the adb link itself is not cut: the lab's adb runs over the simulator's loopback
            system._log("I", "WifiService", f"setWifiEnabled package=com.android.shell uid=2000 enable={on}")
        return 0
    if service == "power" and rest:
        verb = rest[0]
        if verb == "stayon" and len(rest) > 1 and rest[1] in ("true", "false", "usb", "ac", "wireless"):
            glob["stay_on_while_plugged_in"] = {"true": "7", "false": "0", "ac": "1", "usb": "2",
                                                "wireless": "4"}[rest[1]]
            return 0
        if verb in ("reboot", "shutdown"):
            ctx.device.reboot(rest[1] if len(rest) > 1 else "")
            return 0
    if service == "usb" and rest and rest[0] in ("getFunctions", "setFunctions"):
        if rest[0] == "getFunctions":
            await ctx.out("adb\n")
        return 0
    await ctx.out(SVC_USAGE)
    return 0


CONTENT_USAGE = "usage: adb shell content [subcommand] [options]\n"
_BIND = re.compile(r"^([^:]+):([bsilfdn]):(.*)$", re.S)


def _settings_table(ctx: CommandContext, uri: str) -> dict[str, str] | None:
    m = re.fullmatch(r"content://settings/(system|secure|global)(?:/([^/]+))?", uri)
    if m is None:
        return None
    return ctx.device.android.settings[m.group(1)]


def _where(where: str | None) -> str | None:
    """``name='x'`` (the only selection lab scripts use on settings) → x; None for no filter."""
    if not where:
        return None
    m = re.fullmatch(r"\s*name\s*=\s*'([^']*)'\s*", where) or re.fullmatch(r'\s*name\s*=\s*"([^"]*)"\s*', where)
    return m.group(1) if m else "\0unsupported"


@command("content")
async def content(ctx: CommandContext) -> int:
    args = list(ctx.args)
    if not args:
        await ctx.out(CONTENT_USAGE)
        return 0
    verb, opts = args[0], args[1:]
    uri, projection, where, binds = None, None, None, []
    i = 0
    while i < len(opts):
        key = opts[i]
        value = opts[i + 1] if i + 1 < len(opts) else ""
        if key == "--uri":
            uri = value
        elif key == "--projection":
            projection = value.split(":")
        elif key == "--where":
            where = value
        elif key == "--bind":
            binds.append(value)
        elif key in ("--user", "--sort", "--arg", "--extra"):
            pass
        else:
            i += 1
            continue
        i += 2
    if uri is None:
        await ctx.err("[ERROR] Content provider URI not specified. Did you specify --uri argument?\n")
        return 1
    table = _settings_table(ctx, uri)
    if table is None:
        authority = uri.removeprefix("content://").split("/", 1)[0]
        await ctx.err(f"Error while accessing provider:{authority}\njava.lang.IllegalStateException: Could not find "
                      f"provider: {authority}\n")
        return 1
    name = _where(where)
    if name == "\0unsupported":
        await ctx.err(f"Error while accessing provider:settings\njava.lang.IllegalArgumentException: Supported "
                      f"SQL:\n  uri content://some_table/some_property with null where and where args\n  uri "
                      f"content://some_table with query name=? (or name=?) where args\n  bad where: {where}\n")
        return 1
    if verb == "query":
        rows = [(k, v) for k, v in sorted(table.items()) if name is None or k == name]
        if not rows:
            await ctx.out("No result found.\n")
            return 0
        columns = projection or ["_id", "name", "value"]
        out = []
        for n, (key, value) in enumerate(rows):
            fields = {"_id": str(n + 1), "name": key, "value": value}
            out.append(f"Row: {n} " + ", ".join(f"{c}={fields.get(c, 'NULL')}" for c in columns))
        await ctx.out("\n".join(out) + "\n")
        return 0
    if verb in ("insert", "update"):
        values = {}
        for bind in binds:
            m = _BIND.match(bind)
            if m is None:
                await ctx.err(f"[ERROR] Invalid binding: {bind}\n")
                return 1
            values[m.group(1)] = m.group(3)
        key = values.get("name", name)
        if key is None or "value" not in values:
            await ctx.err("[ERROR] a settings row needs name and value bindings\n")
            return 1
        table[key] = values["value"]
        return 0
    if verb == "delete":
        if name is not None:
            table.pop(name, None)
        return 0
    await ctx.err(f"[ERROR] Unsupported operation: {verb}\n")
    return 1
