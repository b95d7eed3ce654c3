"""What a device says about its WMPF process, and killing a process as root: device-layer probes over adb.

``wmpf_state`` (``pidof`` + ``dumpsys package``) serves ``wmpf-hil devices``, the report's device table and
readiness checks; ``kill9`` is how the call layer's recovery scenarios kill WMPF the way the field does. They
take a session and the WMPF package (from the app profile) and nothing of a call, so any layer above can ask.

The shell user may not signal another app's uid, so on a userdebug/eng build the kill goes through
``su 0 kill -9 PID``; then ``su -c``; then a plain ``kill -9`` (an ``adb root`` shell). The kill runs in one
shell line after ``date +%s.%N``, so its instant is read on the *device* clock, like every event after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.errors import HarnessError, LabError

if TYPE_CHECKING:
    from harness.device.session import DeviceSession

_EPOCH = re.compile(r"^(\d{9,})\.(\d{1,9})$")


class KillError(HarnessError):
    """A process could not be killed (no root on the device, or the kill was refused)."""


@dataclass(frozen=True)
class WmpfState:
    """What ``pidof`` and ``dumpsys package`` say about WMPF (for ``wmpf-hil devices`` and the checks)."""

    package: str
    pid: int | None
    version_name: str | None
    version_code: str | None

    @property
    def running(self) -> bool:
        return self.pid is not None


def wmpf_state(session: DeviceSession, package: str) -> WmpfState:
    device = session.device
    pid_text = device.shell(f"pidof {package}", timeout=10).split()
    pid = int(pid_text[0]) if pid_text and pid_text[0].isdigit() else None
    dump = device.shell(f"dumpsys package {package}", timeout=15)
    name = re.search(r"versionName=(\S+)", dump)
    code = re.search(r"versionCode=(\d+)", dump)
    return WmpfState(package, pid, name.group(1) if name else None, code.group(1) if code else None)


def wmpf_process_pids(session: DeviceSession, package: str, *, mini_program_only: bool = False) -> list[int]:
    """Pids of WMPF's processes (``ps -A``): the service and its Mini Program (``:appbrandN``) processes."""
    pids = []
    for row in session.device.shell("ps -A", timeout=15).splitlines()[1:]:
        cols = row.split()
        if len(cols) < 2 or not cols[1].isdigit():
            continue
        name = cols[-1]
        if name.startswith(package + ":appbrand") or (not mini_program_only and name == package):
            pids.append(int(cols[1]))
    return pids


def kill9(session: DeviceSession, pid: int) -> tuple[str, int]:
    """Kill one pid as root if possible: (the command that worked, device ns just before it)."""
    failures: list[str] = []
    for command in (f"su 0 kill -9 {pid}", f"su -c 'kill -9 {pid}'", f"kill -9 {pid}"):
        result = session.device.shell2(f"date +%s.%N; {command}; echo X4RC:$?", timeout=20)
        device_ns, rest = device_time(result.output)
        rc_match = re.search(r"X4RC:(\d+)", rest)
        rc = int(rc_match.group(1)) if rc_match else result.returncode
        said = rest[: rc_match.start()].strip() if rc_match else rest.strip()
        if device_ns is None:
            raise LabError(f"cannot read the device clock with 'date +%s.%N' on {session.serial}: "
                           f"{result.output!r}")
        if rc == 0 and not re.search(r"not found|denied|not permitted|unknown", said, re.IGNORECASE):
            return command, device_ns
        failures.append(f"{command!r} → exit {rc}: {said or 'no output'}")
    raise KillError(
        f"cannot kill -9 pid {pid} on {session.serial}: " + "; ".join(failures) +
        ". Killing another app's process needs root: a userdebug/eng build with su, or 'adb root' first "
        "(or use the force_stop method).")


def kill_pids(session: DeviceSession, pids: list[int]) -> list[int]:
    """``kill -9`` these pids (via ``su 0``, then ``su -c``, then plain); the pids killed."""
    return [pid for pid in pids if kill9(session, pid)]


def device_time(output: str) -> tuple[int | None, str]:
    """The leading ``date +%s.%N`` line of ``output`` as device ns, and the rest of the output."""
    first, _, rest = output.partition("\n")
    m = _EPOCH.match(first.strip())
    if m is None:
        return None, output
    return int(m.group(1)) * 1_000_000_000 + int(m.group(2).ljust(9, "0")), rest
