"""``pm`` (list, path, install, uninstall, clear, dump, grant) and ``monkey -p PKG ... 1`` (app_start).

Packages are the profile's [[packages]] plus what ``adb install`` added (:mod:`simulator.android.packages`);
``pm dump`` shares ``dumpsys package``'s text so the harness reads WMPF's versionName/versionCode the same
way from either. ``pm install`` takes a device path or, with ``-S SIZE`` and no path, the APK on stdin (the
streamed install ``cmd package install -S SIZE`` / ``abb_exec:package install -S SIZE``).
"""

from __future__ import annotations

from simulator.android import packages
from simulator.android.dumps import package_dump
from simulator.android.system import AndroidSystem
from simulator.fs import FsError
from simulator.shell.api import CommandContext, command

PM_USAGE = """Package manager (package) commands:
  list packages [-f] [-d] [-e] [-s] [-3] [-i] [-l] [-u] [-U] [--show-versioncode] [--uid UID]
      [--user USER_ID] [FILTER]
  list instrumentation [-f] [TARGET-PACKAGE]
  path [--user USER_ID] PACKAGE
  install [-r] [-t] [-d] [-g] [-i PACKAGE] [--user USER_ID] [-S BYTES] [PATH|-]
  uninstall [-k] [--user USER_ID] PACKAGE
  install-create [-r] [-t] [-d] [-i PACKAGE] [-S BYTES]
  install-write [-S BYTES] SESSION_ID SPLIT_NAME [PATH|-]
  install-commit SESSION_ID
  install-abandon SESSION_ID
  enable PACKAGE
  disable-user [--user USER_ID] PACKAGE
  dump PACKAGE
  clear [--user USER_ID] PACKAGE
  grant [--user USER_ID] PACKAGE PERMISSION
  revoke [--user USER_ID] PACKAGE PERMISSION
"""


def _positional(args: list[str], with_value: tuple[str, ...] = ("--user", "--uid", "-i", "-S", "--install-reason",
                                                               "--originating-uri", "--referrer", "-p")
                ) -> tuple[list[str], dict]:
    flags: dict[str, str | bool] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in with_value and i + 1 < len(args):
            flags[arg] = args[i + 1]
            i += 2
            continue
        if arg.startswith("-") and len(arg) > 1:
            flags[arg] = True
        else:
            rest.append(arg)
        i += 1
    return rest, flags


async def pm_list(ctx: CommandContext, args: list[str]) -> int:
    if args and args[0] == "instrumentation":
        return await pm_list_instrumentation(ctx, args[1:])
    if not args or args[0] != "packages":
        what = args[0] if args else ""
        if what in ("features", "libraries", "permission-groups", "users"):
            return 0
        await ctx.err(f"Error: unknown list type '{what}'\n")
        return 255
    rest, flags = _positional([a for a in args[1:] if a != "-i"])
    flags.update({"-i": True} if "-i" in args[1:] else {})
    system: AndroidSystem = ctx.device.android
    name_filter = rest[0] if rest else None
    lines = []
    for name in sorted(system.packages):
        spec = system.packages[name]
        is_system = system.is_system_package(name)
        disabled = name in system.disabled
        if (flags.get("-3") and is_system) or (flags.get("-s") and not is_system) or \
                (flags.get("-d") and not disabled) or (flags.get("-e") and disabled):
            continue
        if name_filter and name_filter not in name:
            continue
        if "--uid" in flags and str(spec.uid) != flags["--uid"]:
            continue
        line = "package:" + (f"{system.apk_path(name)}={name}" if flags.get("-f") else name)
        if flags.get("--show-versioncode"):
            line += f" versionCode:{spec.version_code}"
        if flags.get("-U"):
            line += f" uid:{spec.uid}"
        if flags.get("-i"):
            meta = system.package_meta.get(name)
            line += f"  installer={(meta and meta.installer) or 'null'}"
        lines.append(line + "\n")
    await ctx.out("".join(lines))
    return 0


async def pm_path(ctx: CommandContext, args: list[str]) -> int:
    rest, _ = _positional(args)
    if not rest or rest[0] not in ctx.device.android.packages:
        return 1
    meta = ctx.device.android.package_meta.get(rest[0])
    splits = meta.splits if meta else ()
    await ctx.out("".join(f"package:{path}\n" for path in (ctx.device.android.apk_path(rest[0]), *splits)))
    return 0


async def pm_clear(ctx: CommandContext, args: list[str]) -> int:
    rest, _ = _positional(args)
    if not rest or rest[0] not in ctx.device.android.packages:
        await ctx.out("Failed\n")
        return 1
    ctx.device.android.clear_data(rest[0])
    await ctx.out("Success\n")
    return 0


async def pm_dump(ctx: CommandContext, args: list[str]) -> int:
    rest, _ = _positional(args)
    if not rest:
        await ctx.err("Error: no package specified\n")
        return 255
    await ctx.out(package_dump(ctx.device.android, rest[0]))
    return 0


async def pm_grant(ctx: CommandContext, args: list[str]) -> int:
    rest, _ = _positional(args)
    if len(rest) < 2:
        await ctx.err("Error: no permission specified\n")
        return 255
    if rest[0] not in ctx.device.android.packages:
        await ctx.err(f"Exception occurred while executing 'grant':\njava.lang.IllegalArgumentException: "
                      f"Unknown package: {rest[0]}\n")
        return 255
    return 0


async def pm_list_instrumentation(ctx: CommandContext, args: list[str]) -> int:
    rest, flags = _positional(args)
    system: AndroidSystem = ctx.device.android
    lines = []
    for package, inst in packages.instrumentations(system, rest[0] if rest else None):
        where = f"{system.apk_path(package)}=" if flags.get("-f") else ""
        short = inst.name[len(package):] if inst.name.startswith(package + ".") else inst.name
        lines.append(f"instrumentation:{where}{package}/{short} (target={inst.target})\n")
    await ctx.out("".join(lines))
    return 0


async def pm_install(ctx: CommandContext, args: list[str]) -> int:
    rest, flags = _positional(args)
    size_text = flags.get("-S")
    if isinstance(size_text, str):
        if not size_text.isdigit():
            await ctx.err(f"Error: invalid size: {size_text}\n")
            return 1
        data = await _read_exactly(ctx, int(size_text))
        if len(data) != int(size_text):
            await ctx.out(f"Failure [INSTALL_FAILED_INTERNAL_ERROR: expected {size_text} bytes on stdin, "
                          f"got {len(data)}]\n")
            return 1
    elif rest and rest[-1] != "-":
        try:
            data = ctx.device.fs.read_file(ctx.path(rest[-1]))
        except FsError:
            await ctx.err(f"Error: Unable to open file: {rest[-1]}\n"
                          "Consider using a file under /data/local/tmp/\n"
                          f"Error: Can't open file: {rest[-1]}\n"
                          "Exception occurred while executing 'install':\n"
                          f"java.lang.IllegalArgumentException: Error: Can't open file: {rest[-1]}\n")
            return 1
    else:
        await ctx.err("Error: must either specify a package size or an APK file\n")
        return 1
    try:
        packages.install(ctx.device.android, data, allow_downgrade=bool(flags.get("-d")),
                         allow_test=bool(flags.get("-t")),
                         installer=flags["-i"] if isinstance(flags.get("-i"), str) else None)
    except packages.InstallFailure as exc:
        await ctx.out(f"{exc}\n")
        return 1
    await ctx.out("Success\n")
    return 0


async def _read_exactly(ctx: CommandContext, size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = await ctx.stdin.read(min(65536, size - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


async def pm_uninstall(ctx: CommandContext, args: list[str]) -> int:
    rest, flags = _positional(args)
    if not rest:
        await ctx.err("Error: package name not specified\n")
        return 1
    result = packages.uninstall(ctx.device.android, rest[0], keep_data=bool(flags.get("-k")))
    await ctx.out(result + "\n")
    return 0 if result == "Success" else 1


async def pm_install_create(ctx: CommandContext, args: list[str]) -> int:
    _rest, flags = _positional(args)
    session_id = packages.create_session(ctx.device.android, dict(flags))
    await ctx.out(f"Success: created install session [{session_id}]\n")
    return 0


def _session(ctx: CommandContext, text: str) -> packages.InstallSession | None:
    return ctx.device.android.install_sessions.get(int(text)) if text.isdigit() else None


async def pm_install_write(ctx: CommandContext, args: list[str]) -> int:
    """``install-write [-S BYTES] SESSION NAME [PATH|-]``."""
    rest, flags = _positional(args)
    if len(rest) < 2:
        await ctx.err("Error: install-write needs a session id and a split name\n")
        return 1
    session = _session(ctx, rest[0])
    if session is None:
        await ctx.err(f"Exception occurred while executing 'install-write':\njava.lang.SecurityException: "
                      f"Caller has no access to session {rest[0]}\n")
        return 1
    name = rest[1]
    size_text = flags.get("-S")
    if isinstance(size_text, str) and size_text.isdigit() and (len(rest) < 3 or rest[2] == "-"):
        data = await _read_exactly(ctx, int(size_text))
    elif len(rest) >= 3 and rest[2] != "-":
        try:
            data = ctx.device.fs.read_file(ctx.path(rest[2]))
        except FsError:
            await ctx.err(f"Error: Unable to open file: {rest[2]}\n")
            return 1
    else:
        await ctx.err("Error: must specify a APK size or path\n")
        return 1
    session.apks[name] = data
    await ctx.out(f"Success: streamed {len(data)} bytes\n")
    return 0


async def pm_install_commit(ctx: CommandContext, args: list[str]) -> int:
    rest, _ = _positional(args)
    if not rest or not rest[0].isdigit():
        await ctx.err("Error: no session id given\n")
        return 1
    try:
        packages.commit_session(ctx.device.android, int(rest[0]))
    except packages.InstallFailure as exc:
        await ctx.out(f"{exc}\n")
        return 1
    await ctx.out("Success\n")
    return 0


async def pm_install_abandon(ctx: CommandContext, args: list[str]) -> int:
    rest, _ = _positional(args)
    if not rest or ctx.device.android.install_sessions.pop(int(rest[0]) if rest[0].isdigit() else -1, None) is None:
        await ctx.err("Exception occurred while executing 'install-abandon':\njava.lang.SecurityException: "
                      f"Caller has no access to session {rest[0] if rest else ''}\n")
        return 1
    await ctx.out("Success\n")
    return 0


async def pm_enable(ctx: CommandContext, args: list[str]) -> int:
    """``pm enable PKG`` / ``pm disable-user [--user 0] PKG`` (``disable`` itself needs root, as on a device)."""
    rest, _ = _positional(args)
    verb = ctx.args[0]
    if not rest or rest[0] not in ctx.device.android.packages:
        name = rest[0] if rest else ""
        await ctx.err(f"Exception occurred while executing '{verb}':\njava.lang.IllegalArgumentException: "
                      f"Unknown package: {name}\n")
        return 255
    package = rest[0]
    if verb == "disable" and ctx.uid != 0:
        await ctx.err(f"Exception occurred while executing 'disable':\njava.lang.SecurityException: Shell cannot "
                      f"change component state for {package}/null to 2\n")
        return 255
    disabled = ctx.device.android.disabled
    if verb == "enable":
        disabled.discard(package)
        state = "enabled"
    else:
        disabled.add(package)
        ctx.device.android.force_stop(package)
        state = "disabled-user" if verb == "disable-user" else "disabled"
    await ctx.out(f"Package {package} new state: {state}\n")
    return 0


PM_SUBCOMMANDS = {
    "list": pm_list, "path": pm_path, "clear": pm_clear, "dump": pm_dump, "grant": pm_grant,
    "revoke": pm_grant, "install": pm_install, "uninstall": pm_uninstall, "install-create": pm_install_create,
    "install-write": pm_install_write, "install-commit": pm_install_commit, "install-abandon": pm_install_abandon,
    "enable": pm_enable, "disable": pm_enable, "disable-user": pm_enable,
}


@command("pm")
async def pm(ctx: CommandContext) -> int:
    if not ctx.args or ctx.args[0] in ("help", "-h"):
        await ctx.out(PM_USAGE)
        return 0
    handler = PM_SUBCOMMANDS.get(ctx.args[0])
    if handler is None:
        await ctx.err(f"Unknown command: {ctx.args[0]}\n")
        return 255
    return await handler(ctx, ctx.args[1:])


@command("monkey")
async def monkey(ctx: CommandContext) -> int:
    """Only the launcher form uiautomator2 and adbutils use: ``monkey -p PKG -c ...LAUNCHER 1``."""
    out = [f"  bash arg: {arg}\n" for arg in ctx.args]
    packages: list[str] = []
    i = 0
    count = 0
    while i < len(ctx.args):
        arg = ctx.args[i]
        if arg == "-p" and i + 1 < len(ctx.args):
            packages.append(ctx.args[i + 1])
            i += 2
            continue
        if arg in ("-c", "-s", "--throttle", "--pct-touch", "--pct-motion", "--pct-syskeys",
                   "--pct-appswitch", "--pct-anyevent") and i + 1 < len(ctx.args):
            i += 2
            continue
        if arg.isdigit():
            count = int(arg)
        i += 1
    system: AndroidSystem = ctx.device.android
    launchable = [p for p in packages if p in system.packages and system.packages[p].launcher_activity]
    if not launchable:
        await ctx.out("".join(out))
        await ctx.err("** No activities found to run, monkey aborted.\n")
        return 252
    events = count  # the first event launches the app; further random events are not modelled
    if count:
        system.launch_package(launchable[0], caller_uid=ctx.uid)
    await ctx.out("".join(out) + f"Events injected: {events}\n"
                  f"## Network stats: elapsed time={5 + events}ms (0ms mobile, 0ms wifi, {5 + events}ms not "
                  "connected)\n")
    return 0
