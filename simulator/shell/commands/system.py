"""System commands (toybox): date, getprop, setprop, id, uname, whoami, hostname, getenforce, uptime,
pidof, ps, kill, sleep.

They read the device model (clock, properties, process table), never the host: ``date`` shows the device's
drifting clock, ``ps``/``pidof`` show simulated pids, ``kill`` reaches the owners of a process through
``ProcessTable.signal``.
"""

from __future__ import annotations

import asyncio
import re
import time

from simulator.android import hardware
from simulator.android.properties import check_setprop
from simulator.processes import SIGNALS, Process
from simulator.shell.api import CommandContext, command
from simulator.shell.options import Options, UsageError, parse
from simulator.shell.printf import expand_codes
from simulator.shell.users import AID_NAMES, SHELL_GROUPS, user_name

KERNEL_RELEASE = "4.19.157-wmpfsim"
KERNEL_VERSION = "#1 SMP PREEMPT Mon Nov 2 12:00:00 UTC 2026"
_MACHINES = {"arm64-v8a": "aarch64", "armeabi-v7a": "armv8l", "x86_64": "x86_64", "x86": "i686"}


async def _opts(ctx: CommandContext, flags: str, with_value: str = "", **kw: object) -> Options | None:
    try:
        return parse(ctx.args, flags, with_value, **kw)  # type: ignore[arg-type]
    except UsageError as exc:
        await ctx.fail(str(exc))
        return None


# -- date -------------------------------------------------------------------------------------------
DEFAULT_DATE_FORMAT = "%a %b %e %H:%M:%S %Z %Y"


def format_date(fmt: str, wall_ns: int) -> str:
    """strftime in UTC plus ``%N`` (nanoseconds) and ``%s`` (epoch seconds), as toybox date supports."""
    seconds, nanos = divmod(wall_ns, 1_000_000_000)
    tm = time.gmtime(seconds)
    fixed = {"N": f"{nanos:09d}", "s": str(seconds), "Z": "UTC", "z": "+0000", "%": "%"}

    def expand(code: str) -> str | None:
        if code in fixed:
            return fixed[code]
        try:
            return time.strftime("%" + code, tm)
        except ValueError:
            return None

    return expand_codes(fmt, expand)


@command("date")
async def date(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "uR", "drDs")
    if opts is None:
        return 1
    wall_ns = ctx.device.clock.wall_ns()
    when = opts.value("d")
    if when is not None:
        if not when.startswith("@"):
            return await ctx.fail(f"bad date '{when}'")
        try:
            wall_ns = int(float(when[1:]) * 1_000_000_000)
        except ValueError:
            return await ctx.fail(f"bad date '{when}'")
    fmt = DEFAULT_DATE_FORMAT
    new_time = opts.value("s")
    for operand in opts.operands:
        if operand.startswith("+"):
            fmt = operand[1:]
        else:
            new_time = operand
    if new_time is not None:
        if ctx.uid != 0:
            return await ctx.fail("cannot set date: Operation not permitted")
        wanted = _parse_set_time(new_time)
        if wanted is None:
            return await ctx.fail(f"bad date '{new_time}'")
        clock = ctx.device.clock
        clock.offset_s += (wanted - clock.wall_ns()) / 1e9
        wall_ns = wanted
    if "R" in opts:
        fmt = "%a, %d %b %Y %H:%M:%S %z"
    await ctx.out(format_date(fmt, wall_ns) + "\n")
    return 0


def _parse_set_time(text: str) -> int | None:
    """``date -s`` forms: ``@EPOCH``, ``YYYY-MM-DD hh:mm[:ss]``, ``MMDDhhmm[[CC]YY][.ss]`` (UTC)."""
    import calendar

    if text.startswith("@"):
        try:
            return int(float(text[1:]) * 1e9)
        except ValueError:
            return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return calendar.timegm(time.strptime(text, fmt)) * 1_000_000_000
        except ValueError:
            continue
    m = re.fullmatch(r"(\d\d)(\d\d)(\d\d)(\d\d)(\d{2}|\d{4})?(?:\.(\d\d))?", text)
    if m is None:
        return None
    month, day, hour, minute, year, sec = m.groups()
    now = time.gmtime()
    year_n = now.tm_year if year is None else int(year) if len(year) == 4 else 2000 + int(year)
    try:
        return calendar.timegm((year_n, int(month), int(day), int(hour), int(minute), int(sec or 0))) * 10**9
    except (ValueError, OverflowError):
        return None


# -- properties -------------------------------------------------------------------------------------
@command("getprop")
async def getprop(ctx: CommandContext) -> int:
    props = ctx.device.props
    args = [a for a in ctx.args if not a.startswith("-")]
    if not args:
        await ctx.out("".join(f"[{k}]: [{props[k]}]\n" for k in sorted(props)))
        return 0
    value = props.get(args[0])
    if value is None or value == "":
        value = args[1] if len(args) > 1 else ""
    await ctx.out(value + "\n")
    return 0


@command("setprop")
async def setprop(ctx: CommandContext) -> int:
    """property_service's rules (:func:`simulator.android.properties.check_setprop`): ro.* once, root-only
    families, 91-character values; a refusal is toybox's message, and what is set lives until reboot unless
    it is persist.*."""
    if len(ctx.args) != 2:
        await ctx.err("usage: setprop NAME VALUE\n")
        return 1
    name, value = ctx.args
    device = ctx.device
    if not check_setprop(device.props, name, value, ctx.uid):
        await ctx.err(f"Failed to set property '{name}' to '{value}'.\nSee dmesg for error reason.\n")
        return 1
    device.props[name] = value
    device.props_set_at_runtime.add(name)
    return 0


# -- identity ---------------------------------------------------------------------------------------
@command("id")
async def id_(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "ugGnrZ")
    if opts is None:
        return 1
    uid = ctx.uid
    groups = (0, *SHELL_GROUPS[1:]) if uid == 0 else SHELL_GROUPS if uid == 2000 else (uid,)
    if "u" in opts or "g" in opts:
        await ctx.out((user_name(uid) if "n" in opts else str(uid)) + "\n")
        return 0
    if "G" in opts:
        await ctx.out(" ".join(AID_NAMES.get(g, str(g)) if "n" in opts else str(g) for g in groups) + "\n")
        return 0
    if "Z" in opts:
        await ctx.out(_context(uid) + "\n")
        return 0
    name = user_name(uid)
    group_text = ",".join(f"{g}({user_name(g)})" for g in groups)
    await ctx.out(f"uid={uid}({name}) gid={uid}({name}) groups={group_text} context={_context(uid)}\n")
    return 0


def _context(uid: int) -> str:
    return "u:r:su:s0" if uid == 0 else "u:r:shell:s0"


@command("whoami")
async def whoami(ctx: CommandContext) -> int:
    await ctx.out(user_name(ctx.uid) + "\n")
    return 0


@command("hostname")
async def hostname(ctx: CommandContext) -> int:
    await ctx.out("localhost\n")
    return 0


@command("getenforce")
async def getenforce(ctx: CommandContext) -> int:
    await ctx.out("Enforcing\n")
    return 0


@command("uname")
async def uname(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "asnrvmopi")
    if opts is None:
        return 1
    machine = _MACHINES.get(ctx.device.props.get("ro.product.cpu.abi", ""), "aarch64")
    fields = [("s", "Linux"), ("n", "localhost"), ("r", KERNEL_RELEASE), ("v", KERNEL_VERSION),
              ("m", machine), ("o", "Toybox")]
    if "a" in opts:
        chosen = [value for _, value in fields]
    else:
        chosen = [value for flag, value in fields if flag in opts] or ["Linux"]
    await ctx.out(" ".join(chosen) + "\n")
    return 0


@command("uptime")
async def uptime(ctx: CommandContext) -> int:
    up_s = ctx.device.clock.uptime_ns() // 1_000_000_000
    now = format_date("%H:%M:%S", ctx.device.clock.wall_ns())
    days, rest = divmod(up_s, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    span = (f"{days} day{'s' if days != 1 else ''}, " if days else "") + (
        f"{hours:2d}:{minutes:02d}" if hours else f"{minutes} min")
    one, five, fifteen = hardware.load_average(ctx.device)
    await ctx.out(f" {now} up {span},  0 users,  load average: {one:.2f}, {five:.2f}, {fifteen:.2f}\n")
    return 0


# -- sleep ------------------------------------------------------------------------------------------
def parse_duration(text: str) -> float:
    """``1``, ``0.5``, ``2m``, ``1h``, ``1d``; raises ValueError."""
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}.get(text[-1:])
    value = float(text[:-1] if scale else text)
    if value < 0 or value != value:
        raise ValueError(text)
    return value * (scale or 1.0)


@command("sleep")
async def sleep(ctx: CommandContext) -> int:
    if not ctx.args:
        return await ctx.fail("Needs 1 argument")
    total = 0.0
    for arg in ctx.args:
        try:
            total += parse_duration(arg)
        except ValueError:
            return await ctx.fail(f"Not a number '{arg}'")
    await asyncio.sleep(total)
    return 0


# -- processes --------------------------------------------------------------------------------------
def _vsz(proc: Process) -> int:
    return hardware.vsz_kb(proc)


def _rss(proc: Process) -> int:
    return hardware.rss_kb(proc)


def _wchan(proc: Process, self_pid: int) -> str:
    if proc.pid == self_pid:
        return "0"
    if proc.name == "sleep":
        return "hrtimer_nanosleep"
    if proc.name == "sh":
        return "do_wait"
    return "do_epoll_wait" if proc.uid < 10000 else "do_freezer_trap"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# name -> (width, left aligned)
PS_FIELDS: dict[str, tuple[int, bool]] = {
    "USER": (12, True), "PID": (5, False), "PPID": (5, False), "VSZ": (7, False), "RSS": (6, False),
    "WCHAN": (16, True), "ADDR": (4, False), "S": (1, True), "NAME": (27, True), "CMD": (27, True),
    "CMDLINE": (27, True), "ARGS": (27, True), "COMM": (15, True), "UID": (5, False), "TID": (5, False),
    "TCNT": (4, False), "TIME": (8, False), "STIME": (8, False), "ETIME": (11, False), "PRI": (3, False),
    "NI": (3, False), "RTPRIO": (6, False), "SCH": (3, False), "PCY": (3, True), "LABEL": (30, True),
    "STAT": (5, True), "C": (1, False), "TTY": (8, True), "F": (1, False), "%CPU": (4, False),
    "%MEM": (4, False), "PGID": (5, False), "SID": (5, False),
}
PS_DEFAULT = ("USER", "PID", "PPID", "VSZ", "RSS", "WCHAN", "ADDR", "S", "NAME")
PS_FULL = ("UID:USER", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD")


def _field_value(field: str, proc: Process, ctx: CommandContext) -> str:
    clock = ctx.device.clock
    if field == "USER":
        return user_name(proc.uid)
    if field in ("PID", "TID", "PGID", "SID"):
        return str(proc.pid)
    if field == "PPID":
        return str(proc.ppid)
    if field == "UID":
        return str(proc.uid)
    if field in ("NAME", "CMD", "CMDLINE", "ARGS", "COMM"):
        return proc.name[:15] if field == "COMM" else proc.name
    if field in ("S", "STAT"):
        return "R" if proc.pid == ctx.pid else "S"
    if field == "VSZ":
        return str(_vsz(proc))
    if field == "RSS":
        return str(_rss(proc))
    if field == "WCHAN":
        return _wchan(proc, ctx.pid)
    if field in ("ADDR", "C", "F", "NI", "RTPRIO", "SCH"):
        return "0"
    if field == "TCNT":
        return str(len(proc.tids))
    if field == "PRI":
        return "19"
    if field == "PCY":
        return "fg"
    if field == "TIME":
        return "00:00:00"
    if field == "STIME":
        started_wall_ns = clock.wall_ns() - (clock.uptime_ns() - proc.start_uptime_ns)
        return format_date("%H:%M:%S", started_wall_ns)
    if field == "ETIME":
        seconds = max(0, (clock.uptime_ns() - proc.start_uptime_ns) // 1_000_000_000)
        minutes, secs = divmod(seconds, 60)
        return f"{minutes:02d}:{secs:02d}" if minutes < 60 else _clock(seconds)
    if field == "LABEL":
        return "u:r:shell:s0" if proc.uid == 2000 else "u:r:untrusted_app:s0" if proc.uid >= 10000 \
            else "u:r:system_server:s0" if proc.name == "system_server" else f"u:r:{proc.name}:s0"
    if field == "TTY":
        return "?"
    if field in ("%CPU", "%MEM"):
        return "0.0"
    return ""


def format_row(values: list[str], columns: list[tuple[int, bool]]) -> str:
    """toybox column layout: a value wider than its column borrows from the next column's padding."""
    out: list[str] = []
    overflow = 0
    last = len(values) - 1
    for i, (value, (width, left)) in enumerate(zip(values, columns, strict=True)):
        if i == last and left:
            out.append(value)
            break
        room = max(0, width - overflow)
        cell = value.ljust(room) if left else value.rjust(room)
        overflow = max(0, overflow + len(cell) - width)
        out.append(cell)
    return " ".join(out).rstrip() if columns[-1][1] else " ".join(out)


def _parse_fields(specs: list[str]) -> list[tuple[str, str, int, bool]] | str:
    """``-o PID,NAME=Process,USER:20`` → (field, header, width, left); or the bad name."""
    fields = []
    for spec in specs:
        for item in spec.split(","):
            if not item:
                continue
            name, eq, header = item.partition("=")
            name, _, width_text = name.partition(":")
            key = name.upper()
            if key not in PS_FIELDS:
                return name
            width, left = PS_FIELDS[key]
            if width_text.isdigit():
                width = int(width_text)
            fields.append((key, header if eq else key, width, left))
    return fields


@command("ps")
async def ps(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "AaedfjlMnwZTtQ", "opuUkG")
    if opts is None:
        return 1
    procs = ctx.device.processes.all()
    selected: list[Process]
    pids = {int(p) for spec in opts.all("p") for p in spec.split(",") if p.strip().isdigit()}
    users = {u for spec in opts.all("u") + opts.all("U") for u in spec.split(",") if u}
    names = [a for a in opts.operands if not a.isdigit()]
    pids |= {int(a) for a in opts.operands if a.isdigit()}
    if pids or users or names:
        selected = [p for p in procs if p.pid in pids or p.name in names or p.name.rsplit("/", 1)[-1] in names
                    or user_name(p.uid) in users or str(p.uid) in users]
    elif {"A", "e"} & opts.flags:
        selected = procs
    else:
        selected = [p for p in procs if p.uid == ctx.uid]
    if opts.all("o"):
        parsed = _parse_fields(opts.all("o"))
        if isinstance(parsed, str):
            return await ctx.fail(f"bad -o {parsed}")
        fields = parsed
    else:
        specs = list(PS_DEFAULT)
        if "Z" in opts:
            specs.insert(0, "LABEL")
        fields = [(f, f, *PS_FIELDS[f]) for f in specs]
    columns = [(width, left) for _, _, width, left in fields]
    lines = []
    if any(header for _, header, _, _ in fields):
        lines.append(format_row([header for _, header, _, _ in fields], columns))
    for proc in selected:
        lines.append(format_row([_field_value(f, proc, ctx) for f, _, _, _ in fields], columns))
    await ctx.out("".join(line + "\n" for line in lines))
    return 0 if selected or not (pids or names) else 1


@command("pidof")
async def pidof(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "sx", "o")
    if opts is None:
        return 1
    omit = {int(p) for spec in opts.all("o") for p in spec.split(",") if p.isdigit()}
    found: list[int] = []
    for proc in ctx.device.processes.all():
        if proc.pid in omit or proc.pid == ctx.pid:
            continue
        if proc.name in opts.operands or proc.name.rsplit("/", 1)[-1] in opts.operands:
            found.append(proc.pid)
    if not found:
        return 1
    found.sort(reverse=True)
    if "s" in opts:
        found = found[:1]
    await ctx.out(" ".join(map(str, found)) + "\n")
    return 0


def signal_number(spec: str) -> int | None:
    """``9``, ``KILL``, ``SIGKILL`` (any case) → 9; None if unknown."""
    if spec.isdigit():
        number = int(spec)
        return number if 0 <= number < 65 else None
    name = spec.upper()
    name = name[3:] if name.startswith("SIG") else name
    return SIGNALS.get(name)


def signal_name(number: int) -> str:
    for name, value in SIGNALS.items():
        if value == number and name not in ("IOT", "POLL", "CLD"):
            return name
    return str(number)


@command("kill")
async def kill(ctx: CommandContext) -> int:
    args = list(ctx.args)
    signum = 15
    if args and args[0] == "-l":
        if len(args) > 1:
            for arg in args[1:]:
                number = int(arg) - 128 if arg.isdigit() and int(arg) > 128 else signal_number(arg)
                if number is None:
                    return await ctx.fail(f"Unknown signal '{arg}'")
                await ctx.out((signal_name(number) if arg.isdigit() else str(number)) + "\n")
            return 0
        numbers = sorted({v for v in SIGNALS.values() if 0 < v < 32})
        await ctx.out("".join(f"{n:2d}) {signal_name(n)}\n" for n in numbers))
        return 0
    if args and args[0] == "-s":
        if len(args) < 2:
            return await ctx.fail("Missing argument to -s")
        spec = args[1]
        args = args[2:]
        number = signal_number(spec)
        if number is None:
            return await ctx.fail(f"Unknown signal '{spec}'")
        signum = number
    elif args and args[0].startswith("-") and args[0] not in ("-", "--"):
        number = signal_number(args[0][1:])
        if number is None:
            return await ctx.fail(f"Unknown signal '{args[0][1:]}'")
        signum = number
        args = args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        await ctx.err("usage: kill [-s SIGNAL | -SIGNAL] PID...\n")
        return 1
    table = ctx.device.processes
    status = 0
    for arg in args:
        try:
            pid = int(arg)
        except ValueError:
            status = await ctx.fail(f"invalid pid '{arg}'")
            continue
        proc = table.get(pid)
        if proc is None:
            status = await ctx.fail(f"pid {pid}: No such process")
            continue
        if ctx.uid != 0 and proc.uid != ctx.uid:
            status = await ctx.fail(f"pid {pid}: Operation not permitted")
            continue
        table.signal(pid, signum)
    return status
