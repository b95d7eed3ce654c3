"""The simulated phone's JSON API on loopback TCP, served by the simulator's one HTTP server.

The backend runs on the simulator's own event loop (so it can touch device models without locks); the wire
protocol is :mod:`simulator.http` over a :class:`~simulator.streams.SocketStream`. What is the phone's own:
JSON in and out, errors as ``{"errCode", "errMsg"}`` (bad requests too), a 1 MiB body limit with no chunked
bodies (loopback test clients send ``Content-Length``), and an idle timeout for keep-alive clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from simulator import http
from simulator.streams import SocketStream

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
IDLE_TIMEOUT_S = 60.0
LIMITS = http.Limits(max_body=MAX_BODY, chunked=False)


class HttpError(Exception):
    """An error response: ``status`` and a JSON body (``{"errCode", "errMsg"}`` for the phone API)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("errMsg", str(body)))
        self.status = status
        self.body = body


@dataclass
class Request(http.Request):
    """A parsed request plus what the phone's router adds: path parameters and a JSON body reader."""

    params: dict[str, str] = field(default_factory=dict)  # filled by the router from the path pattern

    @classmethod
    def of(cls, request: http.Request) -> Request:
        return cls(request.method, request.target, request.version, request.headers, request.body)

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


def json_response(status: int, body: Any) -> http.Response:
    return http.Response(status, json.dumps(body, ensure_ascii=False).encode("utf-8"),
                         content_type="application/json; charset=utf-8")


def _protocol_error(exc: http.HttpProtocolError) -> http.Response:
    return json_response(exc.status, {"errCode": 1004, "errMsg": str(exc)})


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
        stream = SocketStream(reader, writer)
        try:
            await http.serve_connection(stream, stream, self._respond, limits=LIMITS, idle_timeout=IDLE_TIMEOUT_S,
                                        on_error=_protocol_error)
        finally:
            if task is not None:
                self._clients.discard(task)

    async def _respond(self, raw: http.Request) -> http.Response:
        request = Request.of(raw)
        try:
            status, body = await self.handler(request)
        except HttpError as exc:
            status, body = exc.status, exc.body
        except Exception as exc:  # a bug in a route must not kill the server
            log.exception("phone backend: %s %s failed", request.method, request.path)
            status, body = 500, {"errCode": 1002, "errMsg": f"internal error: {type(exc).__name__}: {exc}"}
        return json_response(status, body)
