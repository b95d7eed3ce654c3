"""The simulator's one HTTP/1.1 server, over :class:`ByteReader` / :class:`ByteWriter` streams.

Two users share it: uiautomator2's on-device JSON-RPC server (reached through adb ``tcp:9008`` streams) and
the simulated phone's backend (a loopback TCP socket, adapted with :class:`~simulator.streams.SocketStream`).
Both only need request line + headers + a ``Content-Length`` (or chunked) body, keep-alive, and answers with
``Content-Length``; each tunes the rest (body limit, chunked bodies, idle timeout, how a bad request is
answered). Hand-written rather than ``h11`` because the venv has no HTTP server library, the protocol slice is
tiny, and both users must run on the simulator's own event loop (which rules out ``http.server``'s threads).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from simulator.streams import ByteReader, ByteWriter, StreamClosed

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024


class HttpProtocolError(Exception):
    """The client sent something the server cannot take; the connection answers ``status`` and closes."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    @property
    def path(self) -> str:
        """The target's path, percent-decoded, without the query."""
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

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
ErrorResponder = Callable[[HttpProtocolError], Response]


def plain_error(exc: HttpProtocolError) -> Response:
    """The default answer to a bad request: its status and a line of text naming what is wrong."""
    try:
        reason = HTTPStatus(exc.status).phrase
    except ValueError:
        reason = "Error"
    return Response(exc.status, f"{reason}: {exc}\n".encode())


@dataclass(frozen=True)
class Limits:
    """What one server accepts: the largest body, and whether chunked bodies are read or refused (411)."""

    max_body: int = MAX_BODY_BYTES
    chunked: bool = True


DEFAULT_LIMITS = Limits()


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


async def _read_head(reader: BufferedReader) -> list[str] | None:
    """The request line and header lines (CRLF or bare LF ends a line); None on a clean close before it."""
    lines: list[str] = []
    budget = MAX_HEADER_BYTES
    while True:
        raw = await reader.read_until(b"\n", budget)
        if raw is None:
            if lines:
                raise HttpProtocolError("connection closed in the middle of a request")
            return None
        budget -= len(raw)
        if budget < 0:
            raise HttpProtocolError(f"header section longer than {MAX_HEADER_BYTES} bytes")
        line = raw.decode("latin-1").rstrip("\r\n")
        if not line:
            return lines
        lines.append(line)


async def read_request(reader: BufferedReader, limits: Limits = DEFAULT_LIMITS) -> Request | None:
    """Parse one request; None when the client closed the connection between requests."""
    lines = await _read_head(reader)
    if lines is None:
        return None
    parts = lines[0].split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpProtocolError(f"bad request line {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpProtocolError(f"bad header line {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    request = Request(parts[0].upper(), parts[1], parts[2], headers)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        if not limits.chunked:
            raise HttpProtocolError("chunked bodies are not supported; send Content-Length", 411)
        request.body = await _read_chunked(reader, limits.max_body)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError as exc:
            raise HttpProtocolError(f"bad Content-Length {headers['content-length']!r}") from exc
        if length < 0:
            raise HttpProtocolError(f"negative Content-Length {length}")
        if length > limits.max_body:
            raise HttpProtocolError(f"body of {length} bytes exceeds {limits.max_body}", 413)
        request.body = await reader.read_exactly(length)
    return request


async def _read_chunked(reader: BufferedReader, max_body: int) -> bytes:
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
        if len(body) > max_body:
            raise HttpProtocolError(f"chunked body exceeds {max_body} bytes", 413)


async def serve_connection(reader: ByteReader, writer: ByteWriter, handler: Handler, *,
                           should_stop: Callable[[], bool] = lambda: False, limits: Limits = DEFAULT_LIMITS,
                           idle_timeout: float | None = None, on_error: ErrorResponder = plain_error) -> None:
    """Serve requests on one connection until the client closes it, ``should_stop()`` turns true, or no
    complete request arrives within ``idle_timeout`` seconds (so idle keep-alive clients do not pile up)."""
    buffered = BufferedReader(reader)
    try:
        while not should_stop():
            try:
                request = await asyncio.wait_for(read_request(buffered, limits), idle_timeout)
            except HttpProtocolError as exc:
                await writer.write(on_error(exc).encode(keep_alive=False))
                return
            except asyncio.TimeoutError:
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
