"""More ``dumpsys`` services: meminfo, cpuinfo, battery (stateful), deviceidle, SurfaceFlinger, connectivity,
and the ``activity`` sections services/broadcasts/recents/lru.

Numbers come from :mod:`simulator.android.hardware` so they agree with ``/proc``, ``ps`` and ``top``. The
layout follows Android 11's output closely enough for the parsers labs use (``TOTAL PSS:``, ``Total RAM:``,
``Load:``, ``mState=``, ``Active default network:``, ``--list``); the padding is realistic, not exhaustive.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from simulator.android import components
from simulator.android import hardware as hw

if TYPE_CHECKING:
    from simulator.android.system import AndroidSystem
    from simulator.processes import Process


def _k(value: int) -> str:
    return f"{value:,}K"


def _uptime_line(system: AndroidSystem) -> str:
    up = system.device.clock.uptime_ns() // 1_000_000
    return f"Uptime: {up} Realtime: {up}\n"


def meminfo(system: AndroidSystem, args: list[str]) -> str:
    device = system.device
    names = [a for a in args if not a.startswith("-")]
    head = "Applications Memory Usage (in Kilobytes):\n" + _uptime_line(system) + "\n"
    if names:
        target = names[0]
        procs = [p for p in device.processes.all() if p.name == target or str(p.pid) == target]
        if not procs:
            return head + f"No process found for: {target}\n"
        return head + "".join(_process_meminfo(p) for p in procs)
    procs = sorted(device.processes.all(), key=lambda p: -hw.pss_kb(p))
    m = hw.memory(device)
    lines = [head, "Total PSS by process:\n"]
    lines += [f"{_k(hw.pss_kb(p)):>15}: {p.name} (pid {p.pid}{' / activities' if p.package else ''})\n"
              for p in procs]
    native = [p for p in procs if p.package is None and p.uid < 10000]
    apps = [p for p in procs if p.package is not None or p.uid >= 10000]
    lines.append("\nTotal PSS by OOM adjustment:\n")
    lines.append(f"{_k(sum(hw.pss_kb(p) for p in native)):>15}: Native\n")
    lines.append(f"{_k(sum(hw.pss_kb(p) for p in apps)):>15}: Persistent + Foreground\n")
    free_ram = m.free + m.cached
    lost = max(0, m.total - free_ram - m.used_by_processes - hw.KERNEL_BASE_KB)
    lines.append(f"\nTotal RAM: {_k(m.total)} (status normal)\n"
                 f" Free RAM: {_k(free_ram)} (        0K cached pss + {_k(m.cached):>10} cached kernel + "
                 f"{_k(m.free):>10} free)\n"
                 f"      ION: {_k(96_000)} (   96,000K mapped +         0K unmapped +         0K pools)\n"
                 f" Used RAM: {_k(m.used_by_processes + hw.KERNEL_BASE_KB)} ({_k(m.used_by_processes):>10} used pss + "
                 f"{_k(hw.KERNEL_BASE_KB):>10} kernel)\n"
                 f" Lost RAM: {_k(lost)}\n"
                 f"     ZRAM: {_k(40_000)} physical used for {_k(m.swap_total - m.swap_free)} in swap "
                 f"({_k(m.swap_total)} total swap)\n"
                 "   Tuning: 256 (large 512), oom   322,560K, restore limit   107,520K (high-end-gfx)\n")
    return "".join(lines)


def _process_meminfo(proc: Process) -> str:
    pss, rss = hw.pss_kb(proc), hw.rss_kb(proc)
    java, native, code, stack, graphics = pss * 2 // 10, pss * 3 // 10, pss * 2 // 10, pss // 50, pss // 10
    other = pss - java - native - code - stack - graphics
    rows = [("Native Heap", native), ("Dalvik Heap", java), ("Stack", stack), (".so mmap", code // 2),
            (".apk mmap", code // 4), (".dex mmap", code - code // 2 - code // 4), ("GL mtrack", graphics),
            ("Unknown", other)]
    table = "".join(f"{name:>15} {value:>8} {value * 9 // 10:>8} {0:>8} {0:>8} {value * rss // max(pss, 1):>8}\n"
                    for name, value in rows)
    return (f"** MEMINFO in pid {proc.pid} [{proc.name}] **\n"
            "                   Pss  Private  Private  SwapPss      Rss\n"
            "                 Total    Dirty    Clean    Dirty    Total\n"
            "                ------   ------   ------   ------   ------\n"
            f"{table}"
            f"{'TOTAL':>15} {pss:>8} {pss * 9 // 10:>8} {0:>8} {0:>8} {rss:>8}\n\n"
            " App Summary\n                       Pss(KB)                        Rss(KB)\n"
            "                        ------                         ------\n"
            f"           Java Heap: {java:>9}\n         Native Heap: {native:>9}\n"
            f"                Code: {code:>9}\n               Stack: {stack:>9}\n"
            f"            Graphics: {graphics:>9}\n       Private Other: {other:>9}\n"
            f"              System: {0:>9}\n\n"
            f"           TOTAL PSS: {pss:>9}            TOTAL RSS: {rss:>9}       TOTAL SWAP PSS: {0:>9}\n\n")


def cpuinfo(system: AndroidSystem) -> str:
    device = system.device
    one, five, fifteen = hw.load_average(device)
    now = _dt.datetime.fromtimestamp(device.clock.wall_ns() / 1e9, _dt.timezone.utc)
    up_ms = device.clock.uptime_ns() // 1_000_000
    lines = [f"Load: {one} / {five} / {fifteen}\n",
             f"CPU usage from {max(0, up_ms - 60_000)}ms to {up_ms}ms ago "
             f"({now:%Y-%m-%d %H:%M:%S.000} to {now:%Y-%m-%d %H:%M:%S.000}):\n"]
    total_user = total_kernel = 0.0
    for proc in device.processes.all():
        utime, stime = hw.process_cpu_jiffies(device, proc)
        life = max(1e-3, (device.clock.uptime_ns() - proc.start_uptime_ns) / 1e9)
        user = 100 * utime / hw.CLK_TCK / life / hw.CPU_COUNT
        kernel = 100 * stime / hw.CLK_TCK / life / hw.CPU_COUNT
        if user + kernel < 0.05:
            continue
        total_user += user
        total_kernel += kernel
        lines.append(f"  {user + kernel:.1f}% {proc.pid}/{proc.name}: {user:.1f}% user + {kernel:.1f}% kernel\n")
    lines.append(f"{total_user + total_kernel:.1f}% TOTAL: {total_user:.1f}% user + {total_kernel:.1f}% kernel\n")
    return "".join(lines)


def battery(system: AndroidSystem) -> str:
    b = system.battery
    return ("Current Battery Service state:\n"
            + ("  (UPDATES STOPPED -- use 'reset' to restart)\n" if b.unplugged_by_shell else "")
            + f"  AC powered: {str(b.ac).lower()}\n  USB powered: {str(b.usb).lower()}\n"
            "  Wireless powered: false\n  Max charging current: 2000000\n  Max charging voltage: 5000000\n"
            f"  Charge counter: 4000000\n  status: {b.status}\n  health: 2\n  present: true\n  level: {b.level}\n"
            f"  scale: 100\n  voltage: {b.voltage_mv}\n  temperature: {b.temperature}\n  technology: Li-ion\n")


def battery_command(system: AndroidSystem, args: list[str]) -> str | None:
    """``dumpsys battery set|unplug|reset ...``: the text to print (usually empty), or None if not a command."""
    b = system.battery
    if not args:
        return None
    verb = args[0]
    if verb == "unplug":
        b.unplug()
        return ""
    if verb == "reset":
        b.reset()
        return ""
    if verb == "set" and len(args) >= 3:
        key, value = args[1], args[2]
        if not value.lstrip("-").isdigit():
            return f"Bad value: {value}\n"
        number = int(value)
        b.unplugged_by_shell = True
        if key == "level":
            b.level = max(0, min(100, number))
        elif key == "ac":
            b.ac = bool(number)
        elif key == "usb":
            b.usb = bool(number)
        elif key == "status":
            b.status = number
        elif key == "temp":
            b.temperature = number
        else:
            return f"Unknown set option: {key}\n"
        return ""
    return None


def deviceidle(system: AndroidSystem, args: list[str]) -> str:
    idle = system.idle
    if args:
        verb = args[0]
        if verb == "force-idle":
            if not idle.enabled:
                return "Unable to go deep idle; not enabled\n"
            idle.force_idle()
            return "Now forced in to deep idle mode\n"
        if verb == "unforce":
            idle.unforce()
            return f"Light state: {idle.light}, deep state: {idle.deep}\n"
        if verb == "step":
            which = args[1] if len(args) > 1 else "deep"
            state = idle.step(which)
            return f"Stepped to {'light' if which == 'light' else 'deep'}: {state}\n"
        if verb == "get" and len(args) > 1:
            return {"light": idle.light, "deep": idle.deep, "force": str(idle.forced).lower(),
                    "screen": str(system.screen.on).lower(),
                    "charging": str(system.battery.plugged).lower()}.get(args[1], f"Unknown get option: {args[1]}") \
                + "\n"
        if verb in ("enable", "disable"):
            idle.enabled = verb == "enable"
            if not idle.enabled:
                idle.unforce()
            return "Idle mode enabled\n" if idle.enabled else "Idle mode disabled\n"
        if verb == "whitelist":
            out = []
            for item in args[1:]:
                pkg = item[1:]
                if item.startswith("+"):
                    idle.whitelist.add(pkg)
                    out.append(f"Added: {pkg}\n")
                elif item.startswith("-"):
                    idle.whitelist.discard(pkg)
                    out.append(f"Removed: {pkg}\n")
            if len(args) == 1:
                out = [f"user,{pkg},{system.packages[pkg].uid if pkg in system.packages else 2000}\n"
                       for pkg in sorted(idle.whitelist)]
            return "".join(out)
    return ("  Settings:\n    light_after_inactive_to=+3m0s0ms\n    inactive_to=+30m0s0ms\n"
            f"  mEnabled={str(idle.enabled).lower()}\n  mForceIdle={str(idle.forced).lower()}\n"
            f"  mLightEnabled={str(idle.enabled).lower()} mDeepEnabled={str(idle.enabled).lower()}\n"
            f"  mScreenOn={str(system.screen.on).lower()}\n  mCharging={str(system.battery.plugged).lower()}\n"
            f"  mState={idle.deep} mLightState={idle.light}\n"
            "  Whitelist (except idle) system apps:\n"
            + "".join(f"    {pkg}\n" for pkg in sorted(idle.whitelist)))


def _layers(system: AndroidSystem) -> list[str]:
    layers = [f"{w.activity}#0" for w in system.screen.windows]
    return ["Wallpaper BBQ wrapper#0", *layers, "StatusBar#0", "NavigationBar0#0"]


def surfaceflinger(system: AndroidSystem, args: list[str]) -> str:
    screen = system.screen
    if "--list" in args:
        return "".join(f"{name}\n" for name in _layers(system))
    if "--latency" in args:
        return "16666666\n"
    pw, ph = system.physical_size
    visible = _layers(system) if screen.on else []
    return ("Build configuration: [sf PRESENT_TIME_OFFSET=0 FORCE_HWC_FOR_RBG_TO_YUV=1 MAX_VIRT_DISPLAY_DIM=4096 "
            "RUNNING_WITHOUT_SYNC_FRAMEWORK=0 NUM_FRAMEBUFFER_SURFACE_BUFFERS=3]\n\n"
            "Display identification data:\nDisplay 4619827259835644672 (HWC display 0): port=0 pnpId=WMP "
            "displayName=\"Built-in Screen\"\n\n"
            "Scheduler:\n  refresh-rate              : 60.000000 fps\n"
            f"+ DisplayDevice{{4619827259835644672, internal, primary, \"Built-in Screen\"}}\n"
            f"   powerMode={2 if screen.on else 0} activeConfig=0 deviceProductInfo={{}}\n"
            f"   physical size: {pw}x{ph}\n   orientation={screen.rotation}, "
            f"isPoweredOn={int(screen.on)}\n"
            f"   Display[0] {screen.width}x{screen.height} density {screen.density}\n\n"
            f"  x-dpi                     : {system.physical_density}.000000\n"
            f"  y-dpi                     : {system.physical_density}.000000\n\n"
            f"Visible layers (count = {len(visible)})\n"
            + "".join(f"+ Layer ({name})\n" for name in visible))


def connectivity(system: AndroidSystem) -> str:
    device = system.device
    glob = system.settings["global"]
    wifi_on = glob.get("wifi_on", "1") == "1" and glob.get("airplane_mode_on", "0") == "0"
    up = wifi_on and not device.link_blocked
    ip = hw.wlan_ip(device)
    lines = ["NetworkProviders for:\n  WifiNetworkFactory\n\n",
             f"Active default network: {100 if up else 'none'}\n\n", "Current Networks:\n"]
    if up:
        lines.append(f"  NetworkAgentInfo{{network{{100}}  handle{{432902426637}}  ni{{WIFI CONNECTED extra: }}  "
                     "Score{60}  everValidated{true}  lastValidated{true}  created{true} "
                     f"lp{{{{InterfaceName: wlan0 LinkAddresses: [ {ip}/24 ] DnsAddresses: [ /192.168.50.1 ] "
                     "Domains: null MTU: 1500 Routes: [ 192.168.50.0/24 -> 0.0.0.0 wlan0 ] }}}  "
                     "nc{[ Transports: WIFI Capabilities: NOT_METERED&INTERNET&NOT_RESTRICTED&TRUSTED&NOT_VPN&"
                     "VALIDATED&NOT_ROAMING&FOREGROUND&NOT_CONGESTED&NOT_SUSPENDED LinkUpBandwidth>=6000Kbps "
                     "LinkDnBandwidth>=60000Kbps SignalStrength: -55]}}}\n")
    lines.append(f"\nAirplane mode: {'on' if glob.get('airplane_mode_on') == '1' else 'off'}\n")
    return "".join(lines)


def activity_services(system: AndroidSystem) -> str:
    lines = ["ACTIVITY MANAGER SERVICES (dumpsys activity services)\n  User 0 active services:\n"]
    for proc in system.device.processes.all():
        if proc.package and system.packages.get(proc.package) and system.packages[proc.package].persistent:
            lines.append(f"  * ServiceRecord{{{proc.pid * 7919 % 0xFFFFFFF:07x} u0 {proc.package}/.CoreService}}\n"
                         f"    app=ProcessRecord{{{proc.pid}:{proc.name}/{components.format_uid(proc.uid)}}}\n")
    return "".join(lines)


def activity_broadcasts(system: AndroidSystem) -> str:
    lines = ["ACTIVITY MANAGER BROADCAST STATE (dumpsys activity broadcasts)\n  Registered Receivers:\n"]
    for receiver in system.receivers:
        lines.append(f"  * ReceiverList{{{receiver.package} {receiver.action}}}\n"
                     f"    Filter: Action: \"{receiver.action}\"\n")
    lines.append("\n  Historical broadcasts [foreground]:\n\n  Historical broadcasts [background]:\n")
    return "".join(lines)


def activity_recents(system: AndroidSystem) -> str:
    lines = ["ACTIVITY MANAGER RECENT TASKS (dumpsys activity recents)\n  Recent tasks:\n"]
    for n, (package, task) in enumerate(sorted(system.tasks.items(), key=lambda kv: -kv[1])):
        spec = system.packages.get(package)
        lines.append(f"  * Recent #{n}: Task{{{task:x} #{task} type=standard A={spec.uid if spec else 1000}:"
                     f"{package} U=0 visible=true}}\n")
    return "".join(lines)


def activity_lru(system: AndroidSystem) -> str:
    lines = ["ACTIVITY MANAGER LRU PROCESSES (dumpsys activity lru)\n  Activities:\n"]
    procs = [p for p in system.device.processes.all() if p.package]
    for n, proc in enumerate(reversed(procs)):
        uid = components.format_uid(proc.uid)
        lines.append(f"  #{n}: fg     TOP  LCMN {proc.pid}:{proc.name}/{uid} act:activities\n")
    return "".join(lines)


def gfxinfo(system: AndroidSystem, args: list[str]) -> str:
    """``dumpsys gfxinfo [PKG] [framestats|reset]``: frames are not rendered by the simulated device, so every
    counter is 0 — the layout is the real one, so parsers work and report no jank."""
    names = [a for a in args if a not in ("framestats", "reset") and not a.startswith("-")]
    head = "Applications Graphics Acceleration Info:\n" + _uptime_line(system)
    procs = [p for p in system.device.processes.all() if p.package and (not names or p.package == names[0])]
    if names and not procs:
        return head + f"No process found for: {names[0]}\n"
    since = system.device.clock.uptime_ns()
    blocks = []
    for proc in procs:
        blocks.append(f"\n** Graphics info for pid {proc.pid} [{proc.name}] **\n\nStats since: {since}ns\n"
                      "Total frames rendered: 0\nJanky frames: 0 (0.00%)\n50th percentile: 0ms\n90th percentile: 0ms\n"
                      "95th percentile: 0ms\n99th percentile: 0ms\nNumber Missed Vsync: 0\n"
                      "Number High input latency: 0\nNumber Slow UI thread: 0\nNumber Slow bitmap uploads: 0\n"
                      "Number Slow issue draw commands: 0\nNumber Frame deadline missed: 0\n"
                      "HISTOGRAM: 5ms=0 6ms=0 7ms=0 8ms=0 9ms=0 10ms=0 11ms=0 12ms=0 13ms=0 14ms=0 15ms=0 16ms=0\n")
    return head + "".join(blocks)
