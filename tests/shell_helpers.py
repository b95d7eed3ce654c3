"""Run device shell scripts in-process (no adb): a booted SimDevice and a small result type."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from simulator.device import SimDevice
from simulator.profile import load_profile
from simulator.streams import BufferWriter, ByteReader, EmptyReader

T = TypeVar("T")


@dataclass
class Result:
    status: int
    out: str
    err: str


async def run(device: SimDevice, script: str, stdin: ByteReader | None = None, uid: int = 2000) -> Result:
    out, err = BufferWriter(), BufferWriter()
    status = await device.shell.run(script, stdin or EmptyReader(), out, err, uid=uid)
    return Result(status, out.data.decode(), err.data.decode())


def on_device(body: Callable[[SimDevice], Awaitable[T]]) -> T:
    """Boot a fresh device inside a new event loop and run ``body`` with it."""

    async def main() -> T:
        device = SimDevice(load_profile())
        device.boot()
        try:
            return await body(device)
        finally:
            device.shutdown()

    return asyncio.run(main())


def sh(script: str, uid: int = 2000) -> Result:
    """One script on a fresh device."""
    return on_device(lambda device: run(device, script, uid=uid))
