"""Choosing TCP ports for simulated devices.

Listening inside the kernel's ephemeral range collides with TIME_WAIT sockets after many short adb
connections, and the adb server probes 5555-5585 as emulators; both are avoided.
"""

from __future__ import annotations

from pathlib import Path

ADB_EMULATOR_PORTS = range(5554, 5586)
DEFAULT_BASE_PORT = 20000


def ephemeral_range() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def candidate_ports(base: int) -> list[int]:
    """Ports from ``base`` upwards that are neither ephemeral nor adb's emulator ports."""
    eph = ephemeral_range()
    return [p for p in range(base, 65536) if p not in eph and p not in ADB_EMULATOR_PORTS]
