"""PLACEHOLDER: replaced by the shell interpreter (parser + executor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.streams import ByteReader, ByteWriter

if TYPE_CHECKING:
    from simulator.device import SimDevice


class Shell:
    def __init__(self, device: SimDevice) -> None:
        self.device = device

    async def run(self, script: str, stdin: ByteReader, stdout: ByteWriter, stderr: ByteWriter, *,
                  env: dict[str, str] | None = None, uid: int = 2000) -> int:
        """Run ``script`` like ``sh -c``; return its exit status."""
        await stderr.write(f"sh: {script.split()[0] if script.split() else ''}: not found\n".encode())
        return 127
