"""A leak per call in an app's process, by the profile's ``[leak]`` table, for the soak's leak gate.

Each call the app handles adds memory (seen in ``dumpsys meminfo`` PSS and ``/proc/PID/status`` VmRSS),
threads (``Threads:``) and open file descriptors (``FDSize:``, the fd table that holds them). Fractions
accumulate, so 0.2 threads per call is one thread every five calls. A restarted process starts clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.processes import Process, ProcessTable


@dataclass
class Leak:
    kb_per_call: int = 0
    threads_per_call: float = 0.0
    fds_per_call: float = 0.0
    _owed: dict[int, list[float]] = field(default_factory=dict)  # pid -> [threads, fds] fractions carried

    @property
    def leaks(self) -> bool:
        return bool(self.kb_per_call or self.threads_per_call or self.fds_per_call)

    def one_call(self, processes: ProcessTable, proc: Process | None) -> None:
        if proc is None or not proc.alive or not self.leaks:
            return
        owed = self._owed.setdefault(proc.pid, [0.0, 0.0])
        if len(self._owed) > 16:  # forget processes long gone
            for pid in [p for p in self._owed if p != proc.pid][:-8]:
                del self._owed[pid]
        proc.extra_rss_kb += self.kb_per_call
        owed[0] += self.threads_per_call
        owed[1] += self.fds_per_call
        threads, fds = int(owed[0]), int(owed[1])
        owed[0] -= threads
        owed[1] -= fds
        if threads:
            processes.add_threads(proc, threads)
        proc.open_fds += fds
