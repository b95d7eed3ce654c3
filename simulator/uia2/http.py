"""A minimal HTTP/1.1 server over the device's byte streams.

uiautomator2 opens one adb ``tcp:9008`` stream per request through :mod:`http.client`, so the server only
needs request line + headers + a ``Content-Length`` (or chunked) body, and answers with ``Content-Length``.
Keep-alive is honoured anyway, because curl through ``adb forward`` and other clients reuse connections.
Hand-written rather than ``h11`` because the venv has no HTTP server library and the protocol slice is tiny.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus

from simulator.streams import ByteReader, ByteWriter, StreamClosed

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024


class HttpProtocolError(Exception):
    """The client sent something that is not HTTP/1.x; the connection answers 400 and closes."""


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return conn == "keep-alive"
        return conn != "close"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self, *, keep_alive: bool) -> bytes:
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"HTTP/1.1 {self.status} {reason}", f"Content-Type: {self.content_type}",
                 f"Content-Length: {len(self.body)}",
                 "Connection: keep-alive" if keep_alive else "Connection: close"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


Handler = Callable[[Request], Awaitable[Response]]


class BufferedReader:
    """Line and exact-size reads on top of a plain :class:`ByteReader`."""

    def __init__(self, reader: ByteReader) -> None:
        self._reader = reader
        self._buf = bytearray()
        self.eof = False

    async def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = await self._reader.read(65536)
        if not chunk:
            self.eof = True
            return False
        self._buf += chunk
        return True

    async def read_until(self, marker: bytes, limit: int) -> bytes | None:
        """Bytes up to and including ``marker``; None at end of stream before any byte arrived."""
        start = 0
        while True:
            idx = self._buf.find(marker, start)
            if idx >= 0:
                out = bytes(self._buf[: idx + len(marker)])
                del self._buf[: idx + len(marker)]
                return out
            if len(self._buf) > limit:
                raise HttpProtocolError(f"header section longer than {limit} bytes")
            start = max(0, len(self._buf) - len(marker) + 1)
            if not await self._fill():
                if self._buf:
                    raise HttpProtocolError("connection closed in the middle of a request")
                return None

    async def read_exactly(self, n: int) -> bytes:
        while len(self._buf) < n:
            if not await self._fill():
                raise HttpProtocolError(f"connection closed after {len(self._buf)} of {n} body bytes")
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out


async def read_request(reader: BufferedReader) -> Request | None:
    """Parse one request; None when the client closed the connection between requests."""
    head = await reader.read_until(b"\r\n\r\n", MAX_HEADER_BYTES)
    if head is None:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpProtocolError(f"bad request line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpProtocolError(f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    request = Request(parts[0].upper(), parts[1], parts[2], headers)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        request.body = await _read_chunked(reader)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError as exc:
            raise HttpProtocolError(f"bad Content-Length {headers['content-length']!r}") from exc
        if not 0 <= length <= MAX_BODY_BYTES:
            raise HttpProtocolError(f"Content-Length {length} out of range")
        request.body = await reader.read_exactly(length)
    return request


async def _read_chunked(reader: BufferedReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.read_until(b"\r\n", 1024)
        if size_line is None:
            raise HttpProtocolError("connection closed inside a chunked body")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError as exc:
            raise HttpProtocolError(f"bad chunk size {size_line!r}") from exc
        if size == 0:
            while await reader.read_until(b"\r\n", MAX_HEADER_BYTES) not in (None, b"\r\n"):
                pass  # trailer fields are ignored
            return bytes(body)
        body += await reader.read_exactly(size + 2)
        del body[-2:]
        if len(body) > MAX_BODY_BYTES:
            raise HttpProtocolError("chunked body too large")


async def serve_connection(reader: ByteReader, writer: ByteWriter, handler: Handler,
                           *, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Serve requests on one connection until the client closes it or ``should_stop()`` turns true."""
    buffered = BufferedReader(reader)
    try:
        while not should_stop():
            try:
                request = await read_request(buffered)
            except HttpProtocolError as exc:
                bad = Response(400, f"Bad Request: {exc}\n".encode())
                await writer.write(bad.encode(keep_alive=False))
                return
            if request is None:
                return
            response = await handler(request)
            keep_alive = request.keep_alive and not should_stop()
            data = response.encode(keep_alive=keep_alive)
            if request.method == "HEAD":
                data = data[: data.index(b"\r\n\r\n") + 4]
            await writer.write(data)
            if not keep_alive:
                return
    except StreamClosed:
        return
    finally:
        with contextlib.suppress(StreamClosed):
            await writer.close()
