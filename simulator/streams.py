"""Byte streams inside the simulated device.

Every program on the simulated device (a shell command, logcat, a device-local TCP service such as
uiautomator2's server) talks through the same two small interfaces, so the adb transport, shell pipes and
tests can connect them any way they like. A :class:`Pipe` is the one concrete connector: bounded, so a
fast writer waits for a slow reader exactly like a real pipe or an adb stream waiting for OKAY.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class StreamClosed(Exception):
    """The other end of a stream went away (like EPIPE): the writer should stop."""


class ByteReader(Protocol):
    async def read(self, n: int = 65536) -> bytes:
        """Return up to ``n`` bytes, waiting for at least one; ``b""`` means end of stream."""
        ...


class ByteWriter(Protocol):
    async def write(self, data: bytes) -> None:
        """Write all of ``data``; raise :class:`StreamClosed` when nobody reads any more."""
        ...

    async def close(self) -> None:
        """Signal end of stream to the reader."""
        ...


class Waiters:
    """Tasks parked until the next state change of an object that lives on one event loop.

    No lock is needed there: a task that must wait (for data, for room, for an acknowledgement) parks on a
    future, every state change wakes all of them, and each re-checks its own condition in a loop. Pipes and
    adb streams both work this way.
    """

    def __init__(self) -> None:
        self._futures: list[asyncio.Future[None]] = []

    async def wait(self) -> None:
        """Park until the next :meth:`wake_all`."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._futures.append(fut)
        try:
            await fut
        finally:
            if fut in self._futures:
                self._futures.remove(fut)

    def wake_all(self) -> None:
        futures, self._futures = self._futures, []
        for fut in futures:
            if not fut.done():
                fut.set_result(None)


class Pipe:
    """A bounded in-memory pipe: one side writes, the other reads.

    ``close()`` ends the stream for the reader (EOF after buffered data); ``close_read()`` tells writers the
    reader is gone, so their next ``write`` raises :class:`StreamClosed`. All users run on one event loop,
    so no lock is needed: waiters park in :class:`Waiters` that every state change wakes.
    """

    def __init__(self, limit: int = 256 * 1024) -> None:
        self._buf = bytearray()
        self._limit = limit
        self._eof = False
        self._reader_gone = False
        self._waiters = Waiters()

    @property
    def eof(self) -> bool:
        return self._eof

    @property
    def reader_gone(self) -> bool:
        return self._reader_gone

    def buffered(self) -> int:
        return len(self._buf)

    async def write(self, data: bytes) -> None:
        view = memoryview(bytes(data))
        while view:
            if self._reader_gone or self._eof:
                raise StreamClosed("pipe closed")
            room = self._limit - len(self._buf)
            if room <= 0:
                await self._waiters.wait()
                continue
            self._buf += view[:room]
            view = view[room:]
            self._waiters.wake_all()

    def feed_nowait(self, data: bytes) -> None:
        """Append without waiting (the caller bounds the amount, e.g. by adb's one-WRTE-per-OKAY rule)."""
        if self._reader_gone or self._eof or not data:
            return
        self._buf += data
        self._waiters.wake_all()

    async def read(self, n: int = 65536) -> bytes:
        while not self._buf and not self._eof and not self._reader_gone:
            await self._waiters.wait()
        if not self._buf:
            return b""
        chunk = bytes(self._buf[:n])
        del self._buf[:n]
        self._waiters.wake_all()
        return chunk

    async def readline(self) -> bytes:
        """Return one line including its newline, or what is left at end of stream."""
        while True:
            idx = self._buf.find(b"\n")
            if idx >= 0:
                line = bytes(self._buf[: idx + 1])
                del self._buf[: idx + 1]
                self._waiters.wake_all()
                return line
            if self._eof or self._reader_gone:
                line = bytes(self._buf)
                self._buf.clear()
                self._waiters.wake_all()
                return line
            await self._waiters.wait()

    async def readexactly(self, n: int) -> bytes:
        """Return exactly ``n`` bytes; raise :class:`asyncio.IncompleteReadError` at a short end of stream."""
        out = bytearray()
        while len(out) < n:
            chunk = await self.read(n - len(out))
            if not chunk:
                raise asyncio.IncompleteReadError(bytes(out), n)
            out += chunk
        return bytes(out)

    async def read_all(self) -> bytes:
        out = bytearray()
        while chunk := await self.read():
            out += chunk
        return bytes(out)

    async def close(self) -> None:
        self.close_nowait()

    def close_nowait(self) -> None:
        self._eof = True
        self._waiters.wake_all()

    def close_read(self) -> None:
        self._reader_gone = True
        self._buf.clear()
        self._waiters.wake_all()


class EmptyReader:
    """A reader already at end of stream (``< /dev/null``)."""

    async def read(self, n: int = 65536) -> bytes:
        return b""


class BufferWriter:
    """A writer that keeps everything written to it (command substitution, tests)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False

    async def write(self, data: bytes) -> None:
        self.data += data

    async def close(self) -> None:
        self.closed = True


class NullWriter:
    """``> /dev/null``."""

    async def write(self, data: bytes) -> None:
        return None

    async def close(self) -> None:
        return None


class SocketStream:
    """An asyncio TCP connection seen as a :class:`ByteReader` and :class:`ByteWriter`.

    Lets code written for device streams (the HTTP server) also serve a host-side socket, such as the
    simulated phone's API; a reset reads as end of stream and a failed write raises :class:`StreamClosed`.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, n: int = 65536) -> bytes:
        try:
            return await self._reader.read(n)
        except ConnectionError:
            return b""

    async def write(self, data: bytes) -> None:
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, RuntimeError) as exc:
            raise StreamClosed(f"socket closed: {exc}") from exc

    async def close(self) -> None:
        self._writer.close()
