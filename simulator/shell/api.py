"""The contract between the device shell and the commands it runs.

A command is an ``async def`` taking a :class:`CommandContext` and returning its exit status, registered
by name with :func:`command`. Commands never touch adb: they read ``stdin`` and write ``stdout``/``stderr``,
so the same command works in a pipe, behind a redirection, in shell v1 or v2, or under ``exec:``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.streams import ByteReader, ByteWriter

if TYPE_CHECKING:
    from simulator.device import SimDevice


@dataclass
class CommandContext:
    device: SimDevice
    argv: list[str]
    stdin: ByteReader
    stdout: ByteWriter
    stderr: ByteWriter
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/"
    uid: int = 2000  # adb shell runs as "shell"
    pid: int = 0

    @property
    def name(self) -> str:
        return self.argv[0]

    @property
    def args(self) -> list[str]:
        return self.argv[1:]

    async def out(self, text: str | bytes) -> None:
        await self.stdout.write(text.encode() if isinstance(text, str) else text)

    async def err(self, text: str | bytes) -> None:
        await self.stderr.write(text.encode() if isinstance(text, str) else text)

    async def fail(self, message: str, status: int = 1) -> int:
        """Print ``NAME: message`` on stderr (toybox style) and return ``status``."""
        await self.err(f"{self.name}: {message}\n")
        return status

    def path(self, p: str) -> str:
        """An absolute device path for an argument, relative to the shell's working directory."""
        return self.device.fs.normalize(p, self.cwd)


CommandFn = Callable[[CommandContext], Awaitable[int]]

COMMANDS: dict[str, CommandFn] = {}


def command(*names: str) -> Callable[[CommandFn], CommandFn]:
    """Register a device command under one or more names (``@command("md5sum")``)."""

    def register(fn: CommandFn) -> CommandFn:
        for name in names:
            if name in COMMANDS:
                raise RuntimeError(f"device command {name!r} registered twice")
            COMMANDS[name] = fn
        return fn

    return register
