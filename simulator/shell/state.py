"""The mutable state of one running shell and the control-flow signals its builtins raise."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import NamedTuple

from simulator.processes import Process
from simulator.shell.io import Session
from simulator.streams import ByteReader, ByteWriter


class IO(NamedTuple):
    stdin: ByteReader
    stdout: ByteWriter
    stderr: ByteWriter


class ExitShell(Exception):
    """``exit N`` (or ``exec CMD`` finishing): unwinds to the nearest shell or subshell."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class LoopControl(Exception):
    """``break N`` / ``continue N`` unwinding to the enclosing loop."""

    def __init__(self, kind: str, levels: int) -> None:
        super().__init__(kind, levels)
        self.kind = kind
        self.levels = levels


@dataclass
class ShellState:
    """Variables, working directory and ``$?`` of one shell; a subshell works on a :meth:`copy`."""

    vars: dict[str, str]
    exported: set[str]
    cwd: str
    uid: int
    proc: Process
    session: Session
    params: list[str] = field(default_factory=list)
    argv0: str = "sh"
    status: int = 0
    subst_status: int | None = None  # status of the last command substitution of the current command
    last_bg: int | None = None
    jobs: list[asyncio.Task[int]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def copy(self) -> ShellState:
        return ShellState(dict(self.vars), set(self.exported), self.cwd, self.uid, self.proc, self.session,
                          list(self.params), self.argv0, self.status, None, self.last_bg, [])

    def environ(self) -> dict[str, str]:
        """What a child process sees: the exported variables."""
        return {name: self.vars[name] for name in self.exported if name in self.vars}
