"""One adb stream as a device-side service sees it: a :class:`ByteReader` and :class:`ByteWriter`.

adb's flow control (``docs/dev/protocol.md``, no ``delayed_ack``) is one message in flight per direction:

* outbound, the device sends one WRTE and must wait for the host's OKAY before the next. Writes made while
  waiting are queued and go out together in the next WRTE (up to the negotiated max payload), which is what
  adbd's local sockets do and what keeps many small writes (sync DATA chunks, shell packets) fast. A writer
  only waits when the queue is over :attr:`OUT_LIMIT`, so a program blocks like on a full pipe;
* inbound, the host sends one WRTE and waits for our OKAY. The device owes that OKAY as soon as it has room:
  at once while the unread data is under :attr:`IN_LIMIT`, otherwise when the service has read it down.

The stream never talks to the socket itself; it asks its :class:`StreamOwner` (the connection) to send.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

from simulator.streams import StreamClosed, Waiters


class StreamOwner(Protocol):
    """What a stream needs from its connection."""

    @property
    def max_payload(self) -> int: ...

    def send_okay(self, local_id: int, remote_id: int) -> None: ...

    def send_write(self, local_id: int, remote_id: int, data: bytes) -> None: ...

    def send_close(self, local_id: int, remote_id: int) -> None: ...

    def forget(self, stream: AdbStream) -> None: ...

    async def drain(self) -> None: ...


class AdbStream:
    IN_LIMIT = 256 * 1024
    OUT_LIMIT = 256 * 1024

    def __init__(self, owner: StreamOwner, local_id: int, remote_id: int, service: str) -> None:
        self.owner = owner
        self.local_id = local_id
        self.remote_id = remote_id
        self.service = service
        self.task: asyncio.Task[None] | None = None
        self._in: deque[memoryview] = deque()  # memoryviews: slicing a 1 MiB payload must not copy it
        self._in_size = 0
        self._in_eof = False
        self._okay_owed = False
        self._out: deque[memoryview] = deque()
        self._out_size = 0
        self._awaiting_okay = False
        self._closed = False  # no more traffic either way (we or the host closed)
        self._waiters = Waiters()

    def __repr__(self) -> str:
        return f"<AdbStream {self.local_id}/{self.remote_id} {self.service!r}>"

    @property
    def closed(self) -> bool:
        return self._closed

    # -- events from the connection ---------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        """The host sent WRTE: buffer it and acknowledge now or once the service has read enough."""
        if self._closed:
            return
        if data:
            self._in.append(memoryview(data))
            self._in_size += len(data)
        if self._in_size <= self.IN_LIMIT:
            self.owner.send_okay(self.local_id, self.remote_id)
        else:
            self._okay_owed = True
        self._waiters.wake_all()

    def on_okay(self) -> None:
        """The host acknowledged our last WRTE: the next one may go."""
        self._awaiting_okay = False
        self._pump()
        self._waiters.wake_all()

    def on_peer_close(self) -> None:
        """The host closed the stream (or the connection died): end everything and cancel the service."""
        self._closed = True
        self._in_eof = True
        self._out.clear()
        self._out_size = 0
        self._waiters.wake_all()
        if self.task is not None and not self.task.done() and self.task is not asyncio.current_task():
            self.task.cancel()

    # -- ByteReader ---------------------------------------------------------------------------------
    async def read(self, n: int = 65536) -> bytes:
        while not self._in and not self._in_eof:
            await self._waiters.wait()
        if not self._in:
            return b""
        head = self._in[0]
        if len(head) <= n:
            self._in.popleft()
            chunk = bytes(head)
        else:
            self._in[0] = head[n:]
            chunk = bytes(head[:n])
        self._in_size -= len(chunk)
        if self._okay_owed and self._in_size <= self.IN_LIMIT and not self._closed:
            self._okay_owed = False
            self.owner.send_okay(self.local_id, self.remote_id)
        return chunk

    async def readexactly(self, n: int) -> bytes:
        """Exactly ``n`` bytes; :class:`asyncio.IncompleteReadError` if the stream ends first."""
        if self._in and len(self._in[0]) >= n:
            return await self.read(n)
        parts = []
        got = 0
        while got < n:
            chunk = await self.read(n - got)
            if not chunk:
                raise asyncio.IncompleteReadError(b"".join(parts), n)
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    # -- ByteWriter ---------------------------------------------------------------------------------
    async def write(self, data: bytes) -> None:
        if self._closed:
            raise StreamClosed(f"adb stream {self.service!r} is closed")
        if not data:
            return
        self._out.append(memoryview(bytes(data)))
        self._out_size += len(data)
        self._pump()
        while self._out_size > self.OUT_LIMIT and not self._closed:
            await self._waiters.wait()
        if self._closed:
            raise StreamClosed(f"adb stream {self.service!r} was closed by the host")
        try:
            await self.owner.drain()
        except (ConnectionError, RuntimeError) as exc:
            raise StreamClosed(f"adb connection lost: {exc}") from exc

    async def close(self) -> None:
        """Send what is queued, then CLSE. Safe to call twice or after the host closed."""
        while self._out and not self._closed:
            await self._waiters.wait()
        if not self._closed:
            self._closed = True
            self._in_eof = True
            self.owner.send_close(self.local_id, self.remote_id)
            self._waiters.wake_all()
        self.owner.forget(self)

    # -- internals ----------------------------------------------------------------------------------
    def _pump(self) -> None:
        if self._awaiting_okay or not self._out or self._closed:
            return
        limit = self.owner.max_payload
        if len(self._out[0]) >= limit:
            first = self._out[0]
            payload = bytes(first[:limit])
            if len(first) == limit:
                self._out.popleft()
            else:
                self._out[0] = first[limit:]
        else:
            parts = []
            size = 0
            while self._out and size + len(self._out[0]) <= limit:
                chunk = self._out.popleft()
                parts.append(chunk)
                size += len(chunk)
            if self._out and size < limit:  # fill the payload with the head of the next chunk
                rest = limit - size
                parts.append(self._out[0][:rest])
                self._out[0] = self._out[0][rest:]
            payload = b"".join(parts)
        self._out_size -= len(payload)
        self._awaiting_okay = True
        self.owner.send_write(self.local_id, self.remote_id, payload)
