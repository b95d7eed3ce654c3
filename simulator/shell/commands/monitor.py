"""Resource monitors (toybox): ``free``, ``top``, ``df``, ``mount``.

They read :mod:`simulator.android.hardware` and the process table, so their numbers agree with
``/proc/meminfo``, ``/proc/stat``, ``ps`` and ``dumpsys meminfo``.
"""

from __future__ import annotations

import asyncio

from simulator.android import hardware as hw
from simulator.android.procfs import mounts
from simulator.shell.api import CommandContext, command
from simulator.shell.options import Options, UsageError, parse
from simulator.shell.users import user_name


async def _opts(ctx: CommandContext, flags: str, with_value: str = "") -> Options | None:
    try:
        return parse(ctx.args, flags, with_value)
    except UsageError as exc:
        await ctx.fail(str(exc))
        return None


def human(kib: int) -> str:
    """toybox human_readable with 1024 units: 3.7G, 512M, 48K."""
    value = float(kib * 1024)
    for unit in ("", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            return f"{value:.0f}{unit}" if value >= 10 or unit == "" else f"{value:.1f}{unit}"
        value /= 1024
    return str(kib)


@command("free")
async def free(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "bkmgth")
    if opts is None:
        return 1
    m = hw.memory(ctx.device)
    shift = {"b": 0, "k": 10, "m": 20, "g": 30, "t": 40}
    unit = next((u for u in "kmgt" if u in opts), "b")

    def fmt(kib: int) -> str:
        if "h" in opts:
            return human(kib)
        return str((kib * 1024) >> shift[unit])

    swap_used = m.swap_total - m.swap_free
    await ctx.out("\t\ttotal        used        free      shared     buffers\n"
                  f"Mem:{fmt(m.total):>17}{fmt(m.total - m.free):>12}{fmt(m.free):>12}{fmt(9_000):>12}"
                  f"{fmt(m.buffers):>12}\n"
                  f"-/+ buffers/cache:{fmt(m.used):>15}{fmt(m.free + m.buffers + m.cached):>12}\n"
                  f"Swap:{fmt(m.swap_total):>16}{fmt(swap_used):>12}{fmt(m.swap_free):>12}\n")
    return 0


def _top_frame(ctx: CommandContext, limit: int | None) -> str:
    device = ctx.device
    m = hw.memory(device)
    procs = device.processes.all()
    t = hw.cpu_times(device)
    total = sum(t.fields()) or 1
    pct = {name: 100 * hw.CPU_COUNT * getattr(t, name) // total
           for name in ("user", "nice", "system", "idle", "iowait", "irq", "softirq")}
    lines = [f"Tasks: {len(procs)} total,   1 running, {len(procs) - 1} sleeping,   0 stopped,   0 zombie",
             f"  Mem: {m.total:>8}K total, {m.total - m.free:>8}K used, {m.free:>8}K free, {m.buffers:>8}K buffers",
             f" Swap: {m.swap_total:>8}K total, {m.swap_total - m.swap_free:>8}K used, {m.swap_free:>8}K free, "
             f"{m.cached:>8}K cached",
             f"{hw.CPU_COUNT * 100}%cpu {pct['user']:>3}%user {pct['nice']:>3}%nice {pct['system']:>3}%sys "
             f"{pct['idle']:>3}%idle {pct['iowait']:>3}%iow {pct['irq']:>3}%irq {pct['softirq']:>3}%sirq   0%host",
             "  PID USER         PR  NI VIRT  RES  SHR S[%CPU] %MEM     TIME+ ARGS"]
    rows = []
    for proc in procs:
        utime, stime = hw.process_cpu_jiffies(device, proc)
        cpu_s = (utime + stime) / hw.CLK_TCK
        rss = hw.rss_kb(proc)
        state = "R" if proc.pid == ctx.pid else "S"
        cpu_pct = 0.3 if proc.pid == ctx.pid else 0.0
        rows.append((cpu_pct, -rss, f"{proc.pid:>5} {user_name(proc.uid):<12} 20   0 {human(hw.vsz_kb(proc)):>4} "
                     f"{human(rss):>4} {human(rss // 3):>4} {state} {cpu_pct:>5.1f} "
                     f"{100 * rss / m.total:>4.1f} {int(cpu_s // 60)}:{cpu_s % 60:05.2f} {proc.name}"))
    rows.sort(key=lambda r: (-r[0], r[1]))
    chosen = [r[2] for r in rows][: limit if limit else None]
    return "\n".join(lines + chosen) + "\n"


@command("top")
async def top(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "bHqTs", "ndmopuk")
    if opts is None:
        return 1
    try:
        count = int(opts.value("n", "0") or 0)
        delay = float(opts.value("d", "3") or 3)
        limit = int(opts.value("m", "0") or 0) or None
    except ValueError:
        return await ctx.fail("bad number")
    frame = 0
    while True:
        await ctx.out(_top_frame(ctx, limit))
        frame += 1
        if count and frame >= count:
            return 0
        await asyncio.sleep(delay)
        await ctx.out("\n")


MOUNTS_DF = (  # device, size 1K-blocks, used, mount point
    ("/dev/block/dm-0", 2_999_320, 2_986_612, "/"),
    ("tmpfs", hw.MEM_TOTAL_KB // 2, 1_040, "/dev"),
    ("tmpfs", hw.MEM_TOTAL_KB // 2, 0, "/mnt"),
    ("/dev/block/dm-1", 1_143_744, 1_140_332, "/vendor"),
    ("/dev/block/dm-2", 1_529_672, 1_525_116, "/product"),
    ("/dev/block/dm-3", 602_812, 600_908, "/system_ext"),
    ("/dev/block/by-name/userdata", hw.DATA_TOTAL_KB, 9_612_344, "/data"),
    ("/dev/fuse", hw.DATA_TOTAL_KB, 9_612_344, "/storage/emulated"),
)


@command("df")
async def df(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "ahHkPi", "t")
    if opts is None:
        return 1
    rows = list(MOUNTS_DF)
    if opts.operands:
        chosen = []
        for operand in opts.operands:
            path = ctx.path(operand)
            if not ctx.device.fs.exists(path):
                await ctx.err(f"df: {operand}: No such file or directory\n")
                continue
            best = max((r for r in rows if path == r[3] or path.startswith(r[3].rstrip("/") + "/")),
                       key=lambda r: len(r[3]))
            chosen.append(best)
        rows = chosen
    human_units = "h" in opts
    head = "Filesystem" + (" " * 6 + "Size  Used Avail Use% Mounted on" if human_units
                           else "      1K-blocks    Used Available Use% Mounted on")
    out = [head]
    for dev, size, used, where in rows:
        avail = max(0, size - used)
        use = (used * 100 + size - 1) // size if size else 0
        if human_units:
            out.append(f"{dev:<15} {human(size):>5} {human(used):>5} {human(avail):>5} {use:>3}% {where}")
        else:
            out.append(f"{dev:<15} {size:>10} {used:>7} {avail:>9} {use:>3}% {where}")
    await ctx.out("\n".join(out) + "\n")
    return 0


@command("mount")
async def mount(ctx: CommandContext) -> int:
    if ctx.args:
        if ctx.uid != 0:
            return await ctx.fail("permission denied (are you root?)")
        return await ctx.fail("not supported on the simulated device (use adb remount)")
    await ctx.out("".join(f"{dev} on {where} type {kind} ({opts})\n" for dev, where, kind, opts, *_ in
                          (line.split() for line in mounts(ctx.device).splitlines())))
    return 0
