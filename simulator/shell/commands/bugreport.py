"""``bugreportz`` and ``bugreport``: dumpstate's zipped bug report, as ``adb bugreport`` drives it.

``bugreportz -v`` prints ``bugreportz version 1.2`` on stderr; ``bugreportz -p`` prints ``BEGIN:PATH``,
``PROGRESS:N/TOTAL`` lines and ``OK:PATH`` once the zip exists (``adb bugreport`` then pulls PATH);
``bugreportz -s`` streams the zip to stdout. Generation takes :data:`BUGREPORT_S` seconds times the time
scale, like dumpstate's minute or two on a tablet. The zip holds what lab tools look for: ``main_entry.txt``
naming ``bugreport-DEVICE-BUILD-DATE.txt`` (dumpstate's text: header, ``------ SECTION (command) ------``
blocks, ``DUMP OF SERVICE`` blocks), ``version.txt``, ``dumpstate_log.txt``, ``FS/proc/...`` copies and
``proto/``. Plain ``bugreport`` prints dumpstate's deprecation notice, as Android 11+ does.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import io
import zipfile

from simulator.shell.api import CommandContext, command
from simulator.streams import BufferWriter, EmptyReader

BUGREPORT_S = 60.0  # unscaled generation time
BUGREPORT_DIR = "/data/user_de/0/com.android.shell/files/bugreports"
SECTIONS = (
    ("MEMORY INFO", "cat /proc/meminfo"),
    ("CPU INFO", "top -b -n 1 -m 30"),
    ("PROCRANK", "ps -A"),
    ("KERNEL VERSION", "cat /proc/version"),
    ("UPTIME", "uptime"),
    ("NETWORK DEV INFO", "cat /proc/net/dev"),
    ("IP ADDRESSES", "ip addr"),
    ("DISK FREE", "df"),
    ("SYSTEM PROPERTIES", "getprop"),
    ("SYSTEM LOG", "logcat -v threadtime -v printable -v uid -d *:v"),
    ("EVENT LOG", "logcat -b events -v threadtime -v printable -v uid -d *:v"),
)
DUMPSYS_SERVICES = ("SurfaceFlinger", "activity", "battery", "connectivity", "cpuinfo", "deviceidle", "display",
                    "input", "meminfo", "package", "power", "window")
FS_COPIES = ("/proc/meminfo", "/proc/cpuinfo", "/proc/stat", "/proc/uptime", "/proc/loadavg", "/proc/version",
             "/proc/mounts")


async def _capture(ctx: CommandContext, script: str) -> str:
    out = BufferWriter()
    await ctx.device.shell.run(script, EmptyReader(), out, out, uid=0)
    return out.data.decode(errors="replace")


def report_name(ctx: CommandContext, when: _dt.datetime) -> str:
    props = ctx.device.props
    return f"bugreport-{props.get('ro.product.device', 'device')}-{props.get('ro.build.id', 'UNKNOWN')}-" \
           f"{when:%Y-%m-%d-%H-%M-%S}"


async def build_zip(ctx: CommandContext, name: str, when: _dt.datetime) -> bytes:
    props = ctx.device.props
    text = [f"========================================================\n== dumpstate: {when:%Y-%m-%d %H:%M:%S}\n"
            "========================================================\n\n",
            f"Build: {props.get('ro.build.display.id', props.get('ro.build.id', ''))}\n",
            f"Build fingerprint: '{props.get('ro.build.fingerprint', '')}'\n",
            f"Bootloader: {props.get('ro.bootloader', 'unknown')}\nRadio: \nNetwork: \n",
            f"Kernel: {(await _capture(ctx, 'cat /proc/version')).strip()}\n",
            f"Command line: {(await _capture(ctx, 'cat /proc/cmdline')).strip()}\n",
            f"Uptime: {(await _capture(ctx, 'uptime')).strip()}\n",
            "Bugreport format version: 2.0\n",
            f"Dumpstate info: id=1 pid={ctx.pid} dry_run=0 parallel_run=1 args=-S -d -z -p "
            f"bugreport_mode=BUGREPORT_DEFAULT\n\n"]
    for title, script in SECTIONS:
        shown = script[len("cat "):] if script.startswith("cat ") else script  # dumpstate's DumpFile names the path
        text.append(f"------ {title} ({shown}) ------\n{await _capture(ctx, script)}\n")
    text.append("========================================================\n== Android Framework Services\n"
                "========================================================\n\n")
    for service in DUMPSYS_SERVICES:
        text.append("-------------------------------------------------------------------------------\n"
                    f"DUMP OF SERVICE {service}:\n{await _capture(ctx, f'dumpsys {service}')}"
                    f"--------- 0.012s was the duration of dumpsys {service}, ending at: "
                    f"{when:%Y-%m-%d %H:%M:%S}\n")
    text.append("========================================================\n== Final progress (pid "
                f"{ctx.pid}): 100/100 (estimated 100)\n========================================================\n"
                "== dumpstate: done (id 1)\n========================================================\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}.txt", "".join(text))
        zf.writestr("main_entry.txt", f"{name}.txt")
        zf.writestr("version.txt", "2.0")
        zf.writestr("dumpstate_log.txt", f"dumpstate id 1: {when:%Y-%m-%d %H:%M:%S} report {name}\n")
        zf.writestr("dumpstate_board.txt", "")
        for path in FS_COPIES:
            zf.writestr("FS" + path, await _capture(ctx, f"cat {path}"))
        zf.writestr("proto/activity.proto", b"")
        zf.writestr("proto/window_CRITICAL.proto", b"")
        zf.writestr("lshal-debug/android.hardware.health@2.1__IHealth_default.txt", "")
    return buf.getvalue()


@command("bugreportz")
async def bugreportz(ctx: CommandContext) -> int:
    args = ctx.args
    if "-v" in args:
        await ctx.err("bugreportz version 1.2\n")
        return 0
    if "-h" in args or any(a not in ("-p", "-s") for a in args):
        await ctx.err("usage: bugreportz [-hpsv]\n  -h: to display this help message\n"
                      "  -p: display progress\n  -s: stream content to standard output\n"
                      "  -v: to display the version\n  or no arguments to generate a zipped bugreport\n")
        return 1 if "-h" not in args else 0
    if ctx.uid not in (0, 2000):
        await ctx.out("FAIL:Could not take bugreport: only shell and root may\n")
        return 1
    when = _dt.datetime.fromtimestamp(ctx.device.clock.wall_ns() / 1e9, _dt.timezone.utc)
    name = report_name(ctx, when)
    path = f"{BUGREPORT_DIR}/{name}.zip"
    progress = "-p" in args
    if progress and "-s" not in args:
        await ctx.out(f"BEGIN:{path}\n")
    steps = 10
    for step in range(1, steps + 1):
        await asyncio.sleep(BUGREPORT_S * ctx.device.time_scale / steps)
        if progress and "-s" not in args:
            await ctx.out(f"PROGRESS:{step * 10}/100\n")
    data = await build_zip(ctx, name, when)
    if "-s" in args:
        await ctx.out(data)
        return 0
    fs = ctx.device.fs
    fs.mkdir(BUGREPORT_DIR, parents=True, mode=0o770, uid=2000)
    fs.write_file(path, data, mode=0o660, uid=2000)
    await ctx.out(f"OK:{path}\n")
    return 0


@command("bugreport")
async def bugreport(ctx: CommandContext) -> int:
    bar = "=" * 77
    await ctx.err(f"{bar}\nWARNING: Flat (text file, non-zipped) bugreports are deprecated.\n"
                  "WARNING: Please generate zipped bugreports instead.\n"
                  "WARNING: On the host use: adb bugreport filename.zip\n"
                  "WARNING: On the device use: bugreportz\n"
                  "WARNING: bugreportz will output the filename to use\n"
                  f"{bar}\n\n\n")
    return 0
