"""One place where a modelled event becomes a logcat line and a ground-truth record at the same instant.

Accuracy checks compare what the harness reads from logcat with the ground truth, so both must be stamped
from one ``host_mono_ns`` reading; going through :meth:`Recorder.event` guarantees that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.wmpf.truth import DeviceTruth

if TYPE_CHECKING:
    from simulator.device import SimDevice
    from simulator.processes import Process


@dataclass(frozen=True)
class Line:
    """A logcat line to write with an event: priority, tag, message and the process that logs it."""

    priority: str
    tag: str
    message: str
    proc: Process | None = None


class Recorder:
    def __init__(self, device: SimDevice, truth: DeviceTruth) -> None:
        self.device = device
        self.truth = truth
        # told of every event after it is recorded (simulator.wmpf.field: the [leak] per call)
        self.listeners: list[Callable[[str, str | None, dict[str, Any]], None]] = []

    def log(self, priority: str, tag: str, message: str, proc: Process | None = None, *,
            host_mono_ns: int | None = None) -> None:
        """A logcat line only (no ground truth), as the process ``proc`` (or system_server)."""
        pid, uid = self._ids(proc)
        self.device.logcat.log(priority, tag, message, pid=pid, uid=uid, host_mono_ns=host_mono_ns)

    def event(self, event: str, room_id: str | None, *lines: Line, **data: Any) -> dict[str, Any]:
        """Record ``event`` in the ground truth and write ``lines`` to logcat, all at one instant."""
        mono = time.monotonic_ns()
        for line in lines:
            self.log(line.priority, line.tag, line.message, line.proc, host_mono_ns=mono)
        rec = self.truth.record(event, room_id, host_mono_ns=mono, **data)
        for listener in self.listeners:
            listener(event, room_id, data)
        return rec

    def _ids(self, proc: Process | None) -> tuple[int, int]:
        if proc is not None:
            return proc.pid, proc.uid
        system = self.device.processes.by_name("system_server")
        return (system[0].pid, 1000) if system else (0, 0)
