"""A minimal HTTP/1.1 server on asyncio streams, JSON in and out.

The simulated phone backend runs on the simulator's own event loop (so it can touch device models without
locks), which rules out ``http.server``'s threads. This is only what loopback test clients need:
``Content-Length`` bodies, keep-alive, JSON responses, and errors that name what is wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
MAX_HEADER_LINES = 100
IDLE_TIMEOUT_S = 60.0
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
           411: "Length Required", 413: "Payload Too Large", 500: "Internal Server Error",
           503: "Service Unavailable"}


class HttpError(Exception):
    """An error response: ``status`` and a JSON body (``{"errCode", "errMsg"}`` for the phone API)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("errMsg", str(body)))
        self.status = status
        self.body = body


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # filled by the router from the path pattern

    def json(self) -> Any:
        if not self.body:
            raise HttpError(400, {"errCode": 1004, "errMsg": "bad parameters: the request body is empty; "
                                                             "send a JSON object"})
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, {"errCode": 1004, "errMsg": f"bad parameters: the body is not JSON ({exc})"}
                            ) from None


Handler = Callable[[Request], Awaitable[tuple[int, Any]]]


class HttpServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._serve, host, port)
        sock = self._server.sockets[0].getsockname()
        return sock[0], sock[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._clients):
            task.cancel()
        if self._clients:
            await asyncio.gather(*self._clients, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._clients.add(task)
        try:
            while True:
                try:
                    request = await asyncio.wait_for(self._read(reader), IDLE_TIMEOUT_S)
                except HttpError as exc:
                    await self._write(writer, exc.status, exc.body, keep_alive=False)
                    return
                if request is None:
                    return
                try:
                    status, body = await self.handler(request)
                except HttpError as exc:
                    status, body = exc.status, exc.body
                except Exception as exc:  # a bug in a route must not kill the server
                    log.exception("phone backend: %s %s failed", request.method, request.path)
                    status, body = 500, {"errCode": 1002, "errMsg": f"internal error: {type(exc).__name__}: {exc}"}
                keep = request.headers.get("connection", "").lower() != "close"
                await self._write(writer, status, body, keep_alive=keep)
                if not keep:
                    return
        except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if task is not None:
                self._clients.discard(task)
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> Request | None:
        line = await reader.readline()
        if not line:
            return None
        try:
            method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        except ValueError:
            raise HttpError(400, {"errCode": 1004, "errMsg": f"malformed request line {line[:80]!r}"}) from None
        if not version.startswith("HTTP/1."):
            raise HttpError(400, {"errCode": 1004, "errMsg": f"unsupported protocol {version!r}"})
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            raw = await reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError(400, {"errCode": 1004, "errMsg": "too many header lines"})
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raise HttpError(411, {"errCode": 1004, "errMsg": "chunked bodies are not supported; send Content-Length"})
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise HttpError(400, {"errCode": 1004, "errMsg": "bad Content-Length"}) from None
        if length > MAX_BODY:
            raise HttpError(413, {"errCode": 1004, "errMsg": f"body of {length} bytes exceeds {MAX_BODY}"})
        body = await reader.readexactly(length) if length else b""
        url = urlsplit(target)
        return Request(method=method.upper(), path=unquote(url.path), headers=headers, body=body,
                       query=dict(parse_qsl(url.query, keep_blank_values=True)))

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, status: int, body: Any, *, keep_alive: bool) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
                "Content-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(payload)}\r\n"
                f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n")
        writer.write(head.encode("latin-1") + payload)
        await writer.drain()
