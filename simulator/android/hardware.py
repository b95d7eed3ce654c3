"""The simulated device's hardware as the kernel reports it: memory, CPUs, CPU time, network counters, battery.

Every reader takes its numbers from here — ``/proc`` and ``/sys`` files, ``free``, ``top``, ``df``, ``ps``'s
RSS column, ``dumpsys meminfo``/``cpuinfo``/``battery`` — so a lab script that cross-checks two of them sees
the same device. Values are deterministic functions of the process table and the device's uptime (CPU time
and byte counters grow with uptime at fixed rates), like a lightly loaded 8-core, 4 GB arm64 tablet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.device import SimDevice
    from simulator.processes import Process

CPU_COUNT = 8
CPU_PARTS = (0xD05,) * 6 + (0xD0A,) * 2  # 6 x Cortex-A55 + 2 x Cortex-A75
CPU_MAX_KHZ = (1800000,) * 6 + (2000000,) * 2
CPU_MIN_KHZ = 300000
CLK_TCK = 100  # USER_HZ: /proc/stat and /proc/<pid>/stat count in 1/100 s
MEM_TOTAL_KB = 3_884_352  # what a "4 GB" tablet reports after the kernel's reservations
SWAP_TOTAL_KB = 2_097_148  # zram
KERNEL_BASE_KB = 612_000  # kernel, drivers, ion/gpu carve-outs: used but in no process
BUSY_FRACTION = 0.06  # of all CPU time
DATA_TOTAL_KB = 52_045_824  # /data (userdata) size, 1K blocks


def _stable(name: str, salt: str, lo: int, hi: int) -> int:
    digest = hashlib.blake2b(f"{name}/{salt}".encode(), digest_size=4).digest()
    return lo + int.from_bytes(digest, "little") % (hi - lo)


def vsz_kb(proc: Process) -> int:
    """Virtual size in KiB (``ps`` VSZ, /proc/PID/status VmSize)."""
    if proc.uid >= 10000 or proc.name in ("system_server", "zygote64", "com.android.systemui"):
        return _stable(proc.name, "vsz", 14_000_000, 16_000_000)
    return _stable(proc.name, "vsz", 10_700_000, 10_900_000)


def rss_kb(proc: Process) -> int:
    """Resident size in KiB (``ps`` RSS, /proc/PID/status VmRSS, ``top`` RES)."""
    if proc.uid >= 10000 or proc.name in ("system_server", "com.android.systemui"):
        return _stable(proc.name, "rss", 90_000, 260_000) + proc.extra_rss_kb
    return _stable(proc.name, "rss", 2_500, 14_000) + proc.extra_rss_kb


def pss_kb(proc: Process) -> int:
    """Proportional set size (``dumpsys meminfo``): shared pages split, so below RSS."""
    return rss_kb(proc) * 7 // 10


@dataclass(frozen=True)
class Memory:
    total: int
    free: int
    available: int
    buffers: int
    cached: int
    swap_total: int
    swap_free: int
    used_by_processes: int

    @property
    def used(self) -> int:
        return self.total - self.free - self.buffers - self.cached


def memory(device: SimDevice) -> Memory:
    """The device's memory in KiB, from the processes running now."""
    procs = device.processes.all()
    in_procs = sum(pss_kb(p) for p in procs)
    cached = 1_100_000 + 2_000 * len(procs)
    buffers = 48_000
    used = KERNEL_BASE_KB + in_procs
    free = max(64_000, MEM_TOTAL_KB - used - cached - buffers)
    swap_used = 120_000
    return Memory(total=MEM_TOTAL_KB, free=free, available=free + cached * 3 // 4 + buffers, buffers=buffers,
                  cached=cached, swap_total=SWAP_TOTAL_KB, swap_free=SWAP_TOTAL_KB - swap_used,
                  used_by_processes=in_procs)


@dataclass(frozen=True)
class CpuTimes:
    """Jiffies since boot (all CPUs together unless per-CPU)."""

    user: int
    nice: int
    system: int
    idle: int
    iowait: int
    irq: int
    softirq: int

    def fields(self) -> list[int]:
        return [self.user, self.nice, self.system, self.idle, self.iowait, self.irq, self.softirq, 0, 0, 0]


def uptime_s(device: SimDevice) -> float:
    return device.clock.uptime_ns() / 1e9


def cpu_times(device: SimDevice, cpu: int | None = None) -> CpuTimes:
    cpus = CPU_COUNT if cpu is None else 1
    total = int(uptime_s(device) * CLK_TCK) * cpus
    busy = int(total * BUSY_FRACTION)
    user, system = busy * 6 // 10, busy * 3 // 10
    nice, irq, softirq = busy // 20, busy // 40, busy // 40
    iowait = total // 400
    idle = max(0, total - user - system - nice - irq - softirq - iowait)
    return CpuTimes(user, nice, system, idle, iowait, irq, softirq)


def load_average(device: SimDevice) -> tuple[float, float, float]:
    """From the app processes only: a shell command reading it must not change it."""
    apps = sum(1 for p in device.processes.all() if p.package is not None)
    base = 0.35 + apps / 25
    return round(base, 2), round(base * 1.1, 2), round(base * 1.05, 2)


def net_counters(device: SimDevice) -> dict[str, tuple[int, int, int, int]]:
    """interface → (rx bytes, rx packets, tx bytes, tx packets) since boot."""
    up = uptime_s(device)
    wlan_rx = int(up * 2_400)
    wlan_tx = int(up * 900)
    lo = int(up * 5_000)
    return {"lo": (lo, lo // 300, lo, lo // 300), "wlan0": (wlan_rx, wlan_rx // 700, wlan_tx, wlan_tx // 300),
            "dummy0": (0, 0, 0, 0)}


def wlan_ip(device: SimDevice) -> str:
    return f"192.168.50.{100 + device.index % 150}"


def wlan_mac(device: SimDevice) -> str:
    digest = hashlib.blake2b(device.serialno.encode(), digest_size=5).digest()
    return "02:" + ":".join(f"{b:02x}" for b in digest)


def cpu_freq_khz(cpu: int) -> int:
    return CPU_MAX_KHZ[cpu] * 2 // 3 // 1000 * 1000


def process_cpu_jiffies(device: SimDevice, proc: Process) -> tuple[int, int]:
    """(utime, stime) of a process: a small stable share of its life so far."""
    life = max(0.0, (device.clock.uptime_ns() - proc.start_uptime_ns) / 1e9)
    share = _stable(proc.name, "cpu", 1, 40) / 1000
    total = int(life * CLK_TCK * share)
    return total * 2 // 3, total // 3
