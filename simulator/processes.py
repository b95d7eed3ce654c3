"""The device's process table: real-looking pids that come and go.

The harness proves WMPF recovery by seeing a *new* pid after a kill, so pids must be allocated like
Android's (increasing, never reused soon) and a kill must reach whoever owns the process (WMPF's model,
uiautomator2's server) through exit callbacks.
"""

from __future__ import annotations

import signal as _signal
from collections.abc import Callable
from dataclasses import dataclass, field

SIGNALS: dict[str, int] = {
    name[3:]: int(num) for name, num in _signal.Signals.__members__.items() if name.startswith("SIG")
    and not name.startswith("SIG_")
}
FATAL_DEFAULT = {1, 2, 3, 4, 6, 8, 9, 11, 13, 14, 15}


@dataclass
class Process:
    pid: int
    ppid: int
    uid: int
    name: str
    start_uptime_ns: int
    package: str | None = None
    tids: list[int] = field(default_factory=list)
    on_exit: list[Callable[[Process, int], None]] = field(default_factory=list, repr=False)
    ignored_signals: set[int] = field(default_factory=set)
    alive: bool = True
    extra_rss_kb: int = 0  # memory grown at runtime (a leak: simulator.android.leak), on top of the model's
    open_fds: int = 40  # open file descriptors (/proc/PID/status FDSize is the table size that holds them)

    @property
    def user(self) -> str:
        if self.uid == 0:
            return "root"
        if self.uid == 1000:
            return "system"
        if self.uid == 2000:
            return "shell"
        if self.uid >= 10000:
            return f"u0_a{self.uid - 10000}"
        return str(self.uid)


class ProcessTable:
    def __init__(self, uptime_ns: Callable[[], int]) -> None:
        self._uptime_ns = uptime_ns
        self._procs: dict[int, Process] = {}
        self._next_pid = 1

    def reset(self) -> None:
        """Forget every process (a reboot) without running exit callbacks."""
        self._procs.clear()
        self._next_pid = 1

    def spawn(self, name: str, uid: int, *, ppid: int = 1, package: str | None = None,
              threads: int = 1) -> Process:
        pid = self._allocate()
        tids = [pid] + [self._allocate() for _ in range(max(0, threads - 1))]
        proc = Process(pid=pid, ppid=ppid, uid=uid, name=name, package=package,
                       start_uptime_ns=self._uptime_ns(), tids=tids)
        self._procs[pid] = proc
        return proc

    def _allocate(self) -> int:
        pid = self._next_pid
        self._next_pid += 1 if self._next_pid < 1000 else 1 + (self._next_pid % 7 == 0)
        if self._next_pid > 32767:
            self._next_pid = 1000
        return pid

    def add_threads(self, proc: Process, count: int) -> None:
        """Start ``count`` more threads in ``proc`` (tids from the pid space, as on Linux)."""
        proc.tids.extend(self._allocate() for _ in range(count))

    def get(self, pid: int) -> Process | None:
        return self._procs.get(pid)

    def by_name(self, name: str) -> list[Process]:
        return [p for p in self._procs.values() if p.name == name]

    def by_package(self, package: str) -> list[Process]:
        return [p for p in self._procs.values() if p.package == package]

    def all(self) -> list[Process]:
        return sorted(self._procs.values(), key=lambda p: p.pid)

    def signal(self, pid: int, signum: int) -> bool:
        """Deliver a signal; return False if there is no such process. Fatal signals end it."""
        proc = self._procs.get(pid)
        if proc is None:
            return False
        if signum == 0 or (signum in proc.ignored_signals and signum != 9):
            return True
        if signum in FATAL_DEFAULT:
            self.exit(proc, 128 + signum)
        return True

    def exit(self, proc: Process, status: int) -> None:
        """End a process and tell its owners (exit callbacks run once, in registration order)."""
        if not proc.alive:
            return
        proc.alive = False
        self._procs.pop(proc.pid, None)
        callbacks, proc.on_exit = proc.on_exit, []
        for callback in callbacks:
            callback(proc, status)
