"""The uiautomator2 server's lifecycle on one device: bound to a port while its process lives.

On a phone the server is a Java process (``app_process``) that owns device port 9008; when the adb shell
that started it closes, or someone kills it, the port is released and ``GET /ping`` fails, which is how
uiautomator2 decides to (re)start it. :class:`Uia2Server` keeps that contract: ``start`` binds the port
(raising :class:`~simulator.local_services.PortInUse` like ``EADDRINUSE``), ``stop`` unbinds it and ends
open connections, and when a process is attached its death stops the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from simulator.http import Request, Response, serve_connection
from simulator.processes import Process
from simulator.streams import ByteReader, ByteWriter, StreamClosed
from simulator.uia2.methods import AutomatorService

if TYPE_CHECKING:
    from simulator.device import SimDevice

log = logging.getLogger(__name__)

DEFAULT_PORT = 9008
SIGKILL = 9

# device → port → running server. Weak, so a discarded device takes its servers with it.
_RUNNING: weakref.WeakKeyDictionary[SimDevice, dict[int, Uia2Server]] = weakref.WeakKeyDictionary()


class Uia2Server:
    """The on-device HTTP JSON-RPC server (``/ping``, ``/jsonrpc/0``)."""

    def __init__(self, device: SimDevice, port: int = DEFAULT_PORT, *, process: Process | None = None) -> None:
        self.device = device
        self.port = port
        self.process = process
        self.running = False
        self.requests = 0
        self.service = AutomatorService(device, is_running=lambda: self.running)
        self._writers: set[ByteWriter] = set()
        self.on_stop: list[Callable[[Uia2Server], None]] = []

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Bind the port; raises ``PortInUse`` when something already listens there."""
        self.device.services.listen(self.port, self.handle_connection)
        self.running = True
        _RUNNING.setdefault(self.device, {})[self.port] = self
        if self.process is not None:
            self.process.on_exit.append(lambda _proc, _status: self.stop())
        log.debug("uia2 server up on %s:%d", self.device.serialno, self.port)

    def stop(self) -> None:
        """Release the port and close open connections (idempotent)."""
        if not self.running:
            return
        self.running = False
        if self.device.services.lookup(self.port) == self.handle_connection:
            self.device.services.close(self.port)
        servers = _RUNNING.get(self.device, {})
        if servers.get(self.port) is self:
            del servers[self.port]
        for writer in list(self._writers):
            close = getattr(writer, "close_nowait", None)
            if callable(close):
                close()
            else:
                asyncio.get_running_loop().create_task(_close_quietly(writer))
        self._writers.clear()
        for callback in list(self.on_stop):
            callback(self)
        log.debug("uia2 server down on %s:%d", self.device.serialno, self.port)

    @property
    def alive(self) -> bool:
        """Running, and (if it has one) its process still in the device's process table."""
        if not self.running:
            return False
        return self.process is None or self.device.processes.get(self.process.pid) is self.process

    # -- serving ----------------------------------------------------------------------------------
    async def handle_connection(self, reader: ByteReader, writer: ByteWriter) -> None:
        """The ``tcp:PORT`` handler: HTTP requests until the client closes or the server stops."""
        if not self.alive:
            self.stop()
            await _close_quietly(writer)
            return
        self._writers.add(writer)
        try:
            await serve_connection(reader, writer, self.route, should_stop=lambda: not self.running)
        finally:
            self._writers.discard(writer)

    async def route(self, request: Request) -> Response:
        self.requests += 1
        if request.path == "/ping" and request.method in ("GET", "HEAD"):
            return Response(200, b"pong")
        if request.path.startswith("/jsonrpc/") and request.method == "POST":
            body = await self.service.dispatcher.handle(request.body)
            return Response(200, body, content_type="application/json; charset=utf-8")
        if request.path.startswith("/jsonrpc/"):
            return Response(405, b"Method Not Allowed: use POST\n")
        return Response(404, f"Not Found: {request.path}\n".encode())


async def _close_quietly(writer: ByteWriter) -> None:
    with contextlib.suppress(StreamClosed):
        await writer.close()


def running_server(device: SimDevice, port: int | None = None) -> Uia2Server | None:
    """The live server on ``port`` (any port when None), dropping entries a reboot left behind."""
    servers = _RUNNING.get(device, {})
    for p, server in list(servers.items()):
        if not server.alive:
            server.stop()
            continue
        if port is None or p == port:
            return server
    return None


def crash_server(device: SimDevice, port: int = DEFAULT_PORT) -> int | None:
    """Fault hook: kill the server like ``kill -9`` (its shell command ends, the port closes).

    Returns the killed pid, or None when no server was running on ``port``.
    """
    server = running_server(device, port)
    if server is None:
        return None
    if server.process is not None:
        pid = server.process.pid
        device.processes.signal(pid, SIGKILL)
        server.stop()  # in case the process ignored the signal's exit callback order
        return pid
    server.stop()
    return 0
