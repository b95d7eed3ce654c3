"""``am``: start activities and services, force-stop, kill, broadcast — printing what Android 11's am prints.

Intent arguments follow ``Intent.parseCommandArgs`` (``-a -d -t -c -n -p -f``, typed extras ``--es --ei
--el --ef --ez --eu --esn --esa --eia --ela --efa``, ``--activity-*``/``--receiver-*`` flags, and a trailing
URI, component or package).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from simulator.android import components, packages
from simulator.android.adb_keyboard import keyboard_broadcast
from simulator.android.intent import Intent
from simulator.android.system import UnknownPackageError
from simulator.shell.api import CommandContext, command

INTENT_FLAGS = {
    "--grant-read-uri-permission": 0x1, "--grant-write-uri-permission": 0x2,
    "--grant-persistable-uri-permission": 0x40, "--grant-prefix-uri-permission": 0x80,
    "--exclude-stopped-packages": 0x10, "--include-stopped-packages": 0x20,
    "--debug-log-resolution": 0x8, "--activity-brought-to-front": 0x400000,
    "--activity-clear-top": 0x4000000, "--activity-clear-when-task-reset": 0x80000,
    "--activity-exclude-from-recents": 0x800000, "--activity-launched-from-history": 0x100000,
    "--activity-multiple-task": 0x8000000, "--activity-no-animation": 0x10000,
    "--activity-no-history": 0x40000000, "--activity-no-user-action": 0x40000,
    "--activity-previous-is-top": 0x1000000, "--activity-reorder-to-front": 0x20000,
    "--activity-reset-task-if-needed": 0x200000, "--activity-single-top": 0x20000000,
    "--activity-clear-task": 0x8000, "--activity-task-on-home": 0x4000, "--activity-match-external": 0x800,
    "--activity-new-task": 0x10000000, "--receiver-registered-only": 0x40000000,
    "--receiver-replace-pending": 0x20000000, "--receiver-foreground": 0x10000000,
    "--receiver-no-abort": 0x8000000, "--receiver-include-background": 0x1000000,
}
# Options taking a value that am start / broadcast accept and the simulator ignores.
IGNORED_WITH_VALUE = {"--user", "-P", "--start-profiler", "--sampling", "-R", "--windowingMode",
                      "--activityType", "--display", "--task", "--receiver-permission", "--attach-agent",
                      "--attach-agent-bind", "--task-overlay", "--lock-task"}
IGNORED_FLAGS = {"-D", "-N", "--streaming", "--track-allocation", "--allow-background-activity-starts",
                 "--splashscreen-show-icon", "--dismiss-keyguard", "--async", "--no-window-animation"}
BROADCAST_FLAGS = 0x400000  # what `am broadcast` shows in its "Broadcasting:" line on Android 8+


class AmUsageError(Exception):
    """Bad am arguments: am prints ``Error: ...`` and exits 255."""


def _split_array(text: str) -> list[str]:
    """``--esa`` splits on commas not escaped with a backslash."""
    return [part.replace("\\,", ",") for part in re.split(r"(?<!\\),", text)]


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "t"):
        return True
    if low in ("false", "f"):
        return False
    try:
        return int(low, 0) != 0
    except ValueError as exc:
        raise AmUsageError(f"Invalid boolean value: {text}") from exc


def _number(kind: type, text: str) -> Any:
    try:
        return kind(text)
    except ValueError as exc:
        raise AmUsageError(f"Invalid {kind.__name__} value: {text}") from exc


EXTRA_PARSERS = {
    "-e": str, "--es": str, "--ei": lambda v: _number(int, v), "--el": lambda v: _number(int, v),
    "--ef": lambda v: _number(float, v), "--ed": lambda v: _number(float, v), "--ez": _bool,
    "--eu": str, "--ecn": components.short,
    "--esa": _split_array, "--esal": _split_array,
    "--eia": lambda v: [_number(int, x) for x in v.split(",")],
    "--eial": lambda v: [_number(int, x) for x in v.split(",")],
    "--ela": lambda v: [_number(int, x) for x in v.split(",")],
    "--elal": lambda v: [_number(int, x) for x in v.split(",")],
    "--efa": lambda v: [_number(float, x) for x in v.split(",")],
    "--efal": lambda v: [_number(float, x) for x in v.split(",")],
}


class Args:
    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.i = 0

    def more(self) -> bool:
        return self.i < len(self.argv)

    def next(self) -> str:
        arg = self.argv[self.i]
        self.i += 1
        return arg

    def value(self, opt: str) -> str:
        if not self.more():
            raise AmUsageError(f'Argument expected after "{opt}"')
        return self.next()


def parse_intent(args: Args, extra_options: set[str]) -> tuple[Intent, dict[str, str | bool]]:
    """Parse intent arguments; command options named in ``extra_options`` go to the returned dict."""
    intent = Intent()
    options: dict[str, str | bool] = {}
    while args.more():
        opt = args.next()
        if opt == "-a":
            intent.action = args.value(opt)
        elif opt == "-d":
            intent.data = args.value(opt)
        elif opt == "-t":
            intent.extras.setdefault("__mime_type__", args.value(opt))
        elif opt == "-c":
            intent.categories.append(args.value(opt))
        elif opt == "-n":
            try:
                intent.component = components.short(args.value(opt))
            except components.ComponentError as exc:
                raise AmUsageError(f"Bad component name: {args.argv[args.i - 1]}") from exc
        elif opt == "-p":
            intent.package = args.value(opt)
        elif opt == "-f":
            text = args.value(opt)
            try:
                intent.flags |= int(text, 0)
            except ValueError as exc:
                raise AmUsageError(f"Invalid flags: {text}") from exc
        elif opt == "--esn":
            intent.extras[args.value(opt)] = None
        elif opt in EXTRA_PARSERS:
            key = args.value(opt)
            intent.extras[key] = EXTRA_PARSERS[opt](args.value(opt))
        elif opt in INTENT_FLAGS:
            intent.flags |= INTENT_FLAGS[opt]
        elif opt in extra_options:
            options[opt] = args.value(opt) if opt in IGNORED_WITH_VALUE or opt == "--user" else True
        elif opt in IGNORED_WITH_VALUE:
            args.value(opt)
        elif opt in IGNORED_FLAGS or opt == "--selector":
            continue
        elif opt.startswith("-") and len(opt) > 1:
            raise AmUsageError(f"Unknown option: {opt}")
        else:  # the trailing URI, component or package
            if ":" in opt:
                intent.data = opt
            elif "/" in opt:
                intent.component = components.short(opt)
            else:
                intent.package = opt
    intent.extras.pop("__mime_type__", None)
    return intent, options


async def am_start(ctx: CommandContext, args: Args) -> int:
    intent, opts = parse_intent(args, {"-W", "-S"})
    system = ctx.device.android
    if intent.action is None and intent.component is None and intent.package is None and intent.data is None:
        raise AmUsageError("Intent must specify an action, data, package or component")
    if opts.get("-S") and intent.target_package in system.packages:
        system.force_stop(intent.target_package or "", caller_pid=ctx.pid)
    wait = bool(opts.get("-W"))
    await ctx.out(f"Starting: {intent.describe()}\n")
    result = system.launch(intent, caller_uid=ctx.uid)
    report = ctx.out if wait else ctx.err
    if result.error is not None:
        if result.error_type == 3:
            await report("Error type 3\n")
        await report(result.error + "\n")
        return 0
    if result.delivered_to_top:
        await report("Warning: Activity not started, intent has been delivered to currently running "
                     "top-most instance.\n")
    if wait:
        if result.delivered_to_top:
            await ctx.out(f"Status: ok\nLaunchState: UNKNOWN (0)\nActivity: {result.component}\nWaitTime: 3\n"
                          "Complete\n")
        else:
            state = "COLD" if result.cold else "WARM"
            await ctx.out(f"Status: ok\nLaunchState: {state}\nActivity: {result.component}\n"
                          f"TotalTime: {result.total_ms}\nWaitTime: {result.total_ms + 8}\nComplete\n")
    return 0


async def am_broadcast(ctx: CommandContext, args: Args) -> int:
    intent, _ = parse_intent(args, set())
    intent.flags |= BROADCAST_FLAGS
    await ctx.out(f"Broadcasting: {intent.describe()}\n")
    keyboard = keyboard_broadcast(ctx.device.android, intent)
    ctx.device.android.send_broadcast(intent)
    if keyboard is not None:
        await ctx.out(f"Broadcast completed: result={keyboard[0]}, data=\"{keyboard[1]}\"\n")
    else:
        await ctx.out("Broadcast completed: result=0\n")
    return 0


async def am_instrument(ctx: CommandContext, args: Args) -> int:
    """Listing works (``pm list instrumentation``); running one would run the APK's code, which the
    simulated device cannot: it says so in am's own failure format."""
    component = next((a for a in args.argv[args.i:] if "/" in a and not a.startswith("-")), None)
    if component is None:
        raise AmUsageError("Argument expected after \"instrument\"")
    found = packages.find_instrumentation(ctx.device.android, component)
    if found is None:
        error = f"Unable to find instrumentation info for: ComponentInfo{{{component}}}"
    else:
        error = (f"Not supported: the simulated device cannot run APK code, so instrumentation "
                 f"{component} cannot start (listing it works: pm list instrumentation)")
    await ctx.out(f"INSTRUMENTATION_STATUS: id=ActivityManagerService\nINSTRUMENTATION_STATUS: Error={error}\n"
                  "INSTRUMENTATION_STATUS_CODE: -1\n")
    await ctx.err(f"android.util.AndroidException: INSTRUMENTATION_FAILED: {component}\n")
    return 1


async def am_startservice(ctx: CommandContext, args: Args) -> int:
    intent, _ = parse_intent(args, set())
    await ctx.out(f"Starting service: {intent.describe()}\n")
    error = ctx.device.android.start_service(intent)
    if error is not None:
        await ctx.err(error + "\n")
    return 0


async def am_force_stop(ctx: CommandContext, args: Args) -> int:
    packages = []
    while args.more():
        arg = args.next()
        if arg == "--user":
            args.value(arg)
        else:
            packages.append(arg)
    if not packages:
        raise AmUsageError("Argument expected after \"force-stop\"")
    for package in packages:
        with contextlib.suppress(UnknownPackageError):  # an unknown package is silently a no-op
            ctx.device.android.force_stop(package, caller_pid=ctx.pid)
    return 0


async def am_kill(ctx: CommandContext, args: Args) -> int:
    packages = [a for a in args.argv[args.i:] if not a.startswith("--")]
    for package in packages:
        with contextlib.suppress(UnknownPackageError):
            ctx.device.android.kill_background(package)
    return 0


USAGE = """Activity manager (activity) commands:
  help
      Print this help text.
  start-activity [-D] [-N] [-W] [-P <FILE>] [--start-profiler <FILE>]
          [--sampling INTERVAL] [--streaming] [-R COUNT] [-S]
          [--track-allocation] [--user <USER_ID> | current] <INTENT>
      Start an Activity.
  start-service [--user <USER_ID> | current] <INTENT>
      Start a Service.
  force-stop [--user <USER_ID> | all | current] <PACKAGE>
      Completely stop the given application package.
  kill [--user <USER_ID> | all | current] <PACKAGE>
      Kill all background processes associated with the given application.
  broadcast [--user <USER_ID> | all | current] <INTENT>
      Send a broadcast Intent.
  instrument [-r] [-e <NAME> <VALUE>] [-w] <COMPONENT>
      Start an Instrumentation (not supported on the simulated device: it cannot run APK code).
"""

SUBCOMMANDS = {
    "start": am_start, "start-activity": am_start, "broadcast": am_broadcast,
    "startservice": am_startservice, "start-service": am_startservice,
    "start-foreground-service": am_startservice, "startforegroundservice": am_startservice,
    "force-stop": am_force_stop, "kill": am_kill, "instrument": am_instrument,
}


@command("am")
async def am(ctx: CommandContext) -> int:
    if not ctx.args or ctx.args[0] in ("help", "-h"):
        await ctx.out(USAGE)
        return 0
    sub = ctx.args[0]
    if sub == "get-current-user":
        await ctx.out("0\n")
        return 0
    if sub == "kill-all":
        for package in list(ctx.device.android.packages):
            ctx.device.android.kill_background(package)
        return 0
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        await ctx.err(f"Unknown command: {sub}\n")
        return 255
    try:
        return await handler(ctx, Args(ctx.args[1:]))
    except AmUsageError as exc:
        await ctx.err(f"Error: {exc}\n")
        return 255
