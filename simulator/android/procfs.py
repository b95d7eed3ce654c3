"""``/proc`` and ``/sys`` of a simulated device, generated on every read from the device's state.

What lab scripts read as the shell user: ``/proc/{meminfo,stat,cpuinfo,uptime,loadavg,version,cmdline,
mounts,net/dev}``, ``/proc/PID/{status,stat,cmdline,comm}`` for every simulated process, and under ``/sys``
the CPUs (``devices/system/cpu``) and the power supplies (``class/power_supply``). Numbers come from
:mod:`simulator.android.hardware`, so they agree with ``ps``, ``free``, ``top`` and ``dumpsys``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simulator.android import hardware as hw
from simulator.android.power_state import BatteryState
from simulator.fs import Node
from simulator.shell.users import SHELL_GROUPS

if TYPE_CHECKING:
    from simulator.device import SimDevice
    from simulator.processes import Process

PAGE_KB = 4
READ_ONLY_PARTITIONS = ("/system", "/vendor", "/product", "/system_ext", "/odm")


def _kb(label: str, value: int) -> str:
    return f"{label + ':':<16}{value:>8} kB\n"


def meminfo(device: SimDevice) -> str:
    m = hw.memory(device)
    rows = [("MemTotal", m.total), ("MemFree", m.free), ("MemAvailable", m.available), ("Buffers", m.buffers),
            ("Cached", m.cached), ("SwapCached", 8_000), ("Active", m.used_by_processes // 2 + m.cached // 2),
            ("Inactive", m.cached // 2), ("Unevictable", 120_000), ("Mlocked", 120_000),
            ("SwapTotal", m.swap_total), ("SwapFree", m.swap_free), ("Dirty", 120), ("Writeback", 0),
            ("AnonPages", m.used_by_processes // 2), ("Mapped", m.used_by_processes // 3),
            ("Shmem", 9_000), ("Slab", 160_000), ("SReclaimable", 52_000), ("SUnreclaim", 108_000),
            ("KernelStack", 28_000), ("PageTables", 60_000), ("CommitLimit", m.total // 2 + m.swap_total),
            ("Committed_AS", m.total * 9 // 4), ("VmallocTotal", 263_061_440), ("VmallocUsed", 70_000),
            ("CmaTotal", 196_608), ("CmaFree", 4_000)]
    return "".join(_kb(label, value) for label, value in rows)


def stat(device: SimDevice) -> str:
    total = hw.cpu_times(device)
    lines = ["cpu  " + " ".join(map(str, total.fields()))]
    for cpu in range(hw.CPU_COUNT):
        lines.append(f"cpu{cpu} " + " ".join(map(str, hw.cpu_times(device, cpu).fields())))
    up = hw.uptime_s(device)
    boot_time = device.clock.wall_ns() // 1_000_000_000 - int(up)
    procs = device.processes.all()
    lines += [f"intr {int(up * 900)}", f"ctxt {int(up * 4_000)}", f"btime {boot_time}",
              f"processes {max((p.pid for p in procs), default=1)}", "procs_running 1", "procs_blocked 0",
              f"softirq {int(up * 300)}"]
    return "\n".join(lines) + "\n"


def cpuinfo(device: SimDevice) -> str:
    blocks = []
    for cpu, part in enumerate(hw.CPU_PARTS):
        blocks.append(f"processor\t: {cpu}\nBogoMIPS\t: 52.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 "
                      "crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\n"
                      f"CPU architecture: 8\nCPU variant\t: 0x{1 if part == 0xD0A else 2}\nCPU part\t: 0x{part:03x}\n"
                      "CPU revision\t: 0\n")
    hardware = device.props.get("ro.hardware", device.props.get("ro.product.device", "unknown"))
    return "\n".join(blocks) + f"\nHardware\t: {hardware}\n"


def uptime(device: SimDevice) -> str:
    up = hw.uptime_s(device)
    idle = hw.cpu_times(device).idle / hw.CLK_TCK
    return f"{up:.2f} {idle:.2f}\n"


def loadavg(device: SimDevice) -> str:
    one, five, fifteen = hw.load_average(device)
    procs = device.processes.all()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} 1/{len(procs) * 9} {max((p.pid for p in procs), default=1)}\n"


def version(device: SimDevice) -> str:
    from simulator.shell.commands.system import KERNEL_RELEASE, KERNEL_VERSION

    return (f"Linux version {KERNEL_RELEASE} (build@wmpf-hil) (Android (7284624) clang version 11.0.5) "
            f"{KERNEL_VERSION}\n")


def cmdline(device: SimDevice) -> str:
    props = device.props
    return (f"console=ttyS0 androidboot.hardware={props.get('ro.hardware', 'unknown')} "
            f"androidboot.serialno={device.serialno} androidboot.verifiedbootstate=orange "
            f"androidboot.selinux=enforcing androidboot.bootreason={props.get('ro.boot.bootreason', 'reboot')}\n")


def mounts(device: SimDevice) -> str:
    mode = "rw" if device.fs.system_writable else "ro"
    lines = [f"/dev/block/dm-0 / ext4 {mode},seclabel,relatime 0 0",
             "tmpfs /dev tmpfs rw,seclabel,nosuid,relatime,mode=755 0 0",
             "proc /proc proc rw,relatime,gid=3009,hidepid=2 0 0",
             "sysfs /sys sysfs rw,seclabel,relatime 0 0"]
    for i, part in enumerate(READ_ONLY_PARTITIONS[1:], start=1):
        lines.append(f"/dev/block/dm-{i} {part} ext4 {mode},seclabel,relatime 0 0")
    lines += ["/dev/block/by-name/userdata /data f2fs rw,lazytime,seclabel,nosuid,nodev,noatime 0 0",
              "/dev/fuse /storage/emulated fuse rw,lazytime,nosuid,nodev,noexec,noatime 0 0"]
    return "\n".join(lines) + "\n"


def net_dev(device: SimDevice) -> str:
    head = ("Inter-|   Receive                                                |  Transmit\n"
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo "
            "colls carrier compressed\n")
    rows = "".join(f"{name:>6}: {rx:>8} {rxp:>7}    0    0    0     0          0         0 {tx:>8} {txp:>7}    "
                   "0    0    0     0       0          0\n"
                   for name, (rx, rxp, tx, txp) in hw.net_counters(device).items())
    return head + rows


# -- per process --------------------------------------------------------------------------------------
def fd_table_size(open_fds: int) -> int:
    """The kernel's fd table: 64 slots, doubled whenever the open descriptors outgrow it (FDSize)."""
    size = 64
    while size < open_fds:
        size *= 2
    return size


def _state(proc: Process) -> str:
    return "S (sleeping)"


def proc_status(device: SimDevice, proc: Process) -> str:
    groups = " ".join(map(str, SHELL_GROUPS)) if proc.uid == 2000 else ""
    vsz, rss = hw.vsz_kb(proc), hw.rss_kb(proc)
    name = proc.name.rsplit("/", 1)[-1][:15]
    return (f"Name:\t{name}\nUmask:\t0077\nState:\t{_state(proc)}\nTgid:\t{proc.pid}\nNgid:\t0\nPid:\t{proc.pid}\n"
            f"PPid:\t{proc.ppid}\nTracerPid:\t0\nUid:\t{proc.uid}\t{proc.uid}\t{proc.uid}\t{proc.uid}\n"
            f"Gid:\t{proc.uid}\t{proc.uid}\t{proc.uid}\t{proc.uid}\nFDSize:\t{fd_table_size(proc.open_fds)}\nGroups:\t{groups}\n"
            f"VmPeak:\t{vsz + 4096:>8} kB\nVmSize:\t{vsz:>8} kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n"
            f"VmHWM:\t{rss + 1024:>8} kB\nVmRSS:\t{rss:>8} kB\nRssAnon:\t{rss // 2:>8} kB\n"
            f"RssFile:\t{rss - rss // 2:>8} kB\nRssShmem:\t       0 kB\nVmSwap:\t       0 kB\n"
            f"Threads:\t{len(proc.tids)}\nSigQ:\t0/15175\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
            "SigBlk:\t0000000000001204\nSigIgn:\t0000000000000001\nSigCgt:\t00000006400084f8\n"
            "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
            f"Cpus_allowed:\tff\nCpus_allowed_list:\t0-{hw.CPU_COUNT - 1}\nvoluntary_ctxt_switches:\t120\n"
            "nonvoluntary_ctxt_switches:\t8\n")


def proc_stat(device: SimDevice, proc: Process) -> str:
    utime, stime = hw.process_cpu_jiffies(device, proc)
    start = proc.start_uptime_ns * hw.CLK_TCK // 1_000_000_000
    comm = proc.name.rsplit("/", 1)[-1][:15]
    fields = [proc.pid, f"({comm})", "S", proc.ppid, proc.pid, 0, 0, -1, 4194560, 1200, 0, 12, 0, utime, stime,
              0, 0, 20, 0, len(proc.tids), 0, start, hw.vsz_kb(proc) * 1024, hw.rss_kb(proc) // PAGE_KB,
              18446744073709551615] + [0] * 27
    return " ".join(map(str, fields)) + "\n"


def _text(fn: Callable[[], str]) -> Callable[[], bytes]:
    return lambda: fn().encode()


def mount_kernel_fs(device: SimDevice) -> None:
    """Mount the generated ``/proc`` and ``/sys`` on ``device.fs``."""
    fs = device.fs

    def file(fn: Callable[[], str], mode: int = 0o444) -> Node:
        return fs.virtual_file(_text(fn), mode)

    static: dict[str, Node] = {
        "meminfo": file(lambda: meminfo(device)), "stat": file(lambda: stat(device)),
        "cpuinfo": file(lambda: cpuinfo(device)), "uptime": file(lambda: uptime(device)),
        "loadavg": file(lambda: loadavg(device)), "version": file(lambda: version(device)),
        "cmdline": file(lambda: cmdline(device), 0o440), "mounts": file(lambda: mounts(device)),
        "net": fs.virtual_dir({"dev": file(lambda: net_dev(device))}),
        "filesystems": file(lambda: "nodev\tsysfs\nnodev\tproc\nnodev\ttmpfs\n\text4\n\tf2fs\nnodev\tfuse\n"),
    }
    cache: dict[int, tuple[Process, Node]] = {}

    def pid_dir(proc: Process) -> Node:
        hit = cache.get(proc.pid)
        if hit is not None and hit[0] is proc:
            return hit[1]
        node = fs.virtual_dir({
            "status": file(lambda: proc_status(device, proc)),
            "stat": file(lambda: proc_stat(device, proc)),
            "cmdline": fs.virtual_file(lambda: proc.name.encode() + b"\0"),
            "comm": file(lambda: proc.name.rsplit("/", 1)[-1][:15] + "\n"),
        }, uid=proc.uid)
        cache[proc.pid] = (proc, node)
        return node

    def proc_entries() -> dict[str, Node]:
        entries = dict(static)
        alive = device.processes.all()
        for stale in set(cache) - {p.pid for p in alive}:
            del cache[stale]
        for proc in alive:
            entries[str(proc.pid)] = pid_dir(proc)
        return entries

    fs.mount("/proc", fs.virtual_dir(proc_entries))
    fs.mount("/sys", _sys(device))


def _sys(device: SimDevice) -> Node:
    fs = device.fs

    def value(text: str | Callable[[], str], mode: int = 0o444) -> Node:
        if callable(text):
            return fs.virtual_file(lambda: (text() + "\n").encode(), mode)
        return fs.virtual_file(lambda: (text + "\n").encode(), mode)

    last = hw.CPU_COUNT - 1
    cpus: dict[str, Node] = {"online": value(f"0-{last}"), "possible": value(f"0-{last}"),
                             "present": value(f"0-{last}"), "offline": value(""), "kernel_max": value("7")}
    for cpu in range(hw.CPU_COUNT):
        freq = {
            "scaling_cur_freq": value(str(hw.cpu_freq_khz(cpu))),
            "cpuinfo_cur_freq": value(str(hw.cpu_freq_khz(cpu)), 0o400),
            "cpuinfo_max_freq": value(str(hw.CPU_MAX_KHZ[cpu])), "cpuinfo_min_freq": value(str(hw.CPU_MIN_KHZ)),
            "scaling_max_freq": value(str(hw.CPU_MAX_KHZ[cpu])), "scaling_min_freq": value(str(hw.CPU_MIN_KHZ)),
            "scaling_governor": value("schedutil"), "scaling_available_governors": value("schedutil performance"),
            "related_cpus": value("0 1 2 3 4 5" if cpu < 6 else "6 7"),
        }
        cpus[f"cpu{cpu}"] = fs.virtual_dir({"online": value("1"), "cpufreq": fs.virtual_dir(freq)})
    def bat() -> BatteryState:
        return device.android.battery

    def battery_uevent() -> str:
        b = bat()
        return (f"POWER_SUPPLY_NAME=battery\nPOWER_SUPPLY_STATUS={b.status_name}\nPOWER_SUPPLY_HEALTH=Good\n"
                f"POWER_SUPPLY_PRESENT=1\nPOWER_SUPPLY_TECHNOLOGY=Li-ion\n"
                f"POWER_SUPPLY_CAPACITY={b.level}\nPOWER_SUPPLY_VOLTAGE_NOW={b.voltage_mv * 1000}\n"
                f"POWER_SUPPLY_TEMP={b.temperature}")

    battery = {"type": value("Battery"), "status": value(lambda: bat().status_name), "health": value("Good"),
               "present": value("1"), "technology": value("Li-ion"), "capacity": value(lambda: str(bat().level)),
               "voltage_now": value(lambda: str(bat().voltage_mv * 1000)),
               "temp": value(lambda: str(bat().temperature)), "charge_counter": value("4000000"),
               "uevent": value(battery_uevent)}
    ac = {"type": value("Mains"), "online": value(lambda: "1" if bat().ac else "0"),
          "uevent": value(lambda: f"POWER_SUPPLY_NAME=ac\nPOWER_SUPPLY_ONLINE={int(bat().ac)}")}
    usb = {"type": value("USB"), "online": value(lambda: "1" if bat().usb else "0"),
           "uevent": value(lambda: f"POWER_SUPPLY_NAME=usb\nPOWER_SUPPLY_ONLINE={int(bat().usb)}")}
    supplies = {"battery": fs.virtual_dir(battery), "ac": fs.virtual_dir(ac), "usb": fs.virtual_dir(usb)}
    return fs.virtual_dir({
        "devices": fs.virtual_dir({"system": fs.virtual_dir({"cpu": fs.virtual_dir(cpus)})}),
        "class": fs.virtual_dir({"power_supply": fs.virtual_dir(supplies)}),
        "kernel": fs.virtual_dir({}),
    })


