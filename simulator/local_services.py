"""Device-local TCP services, reached from the host through adb's ``tcp:PORT`` service.

On a phone, ``adb forward`` and adbutils' ``create_connection`` open a socket to a port on the device's
loopback. Here each port maps to a handler coroutine that talks over the device's byte streams. Later
layers register theirs: uiautomator2's JSON-RPC server on 9008, the media relay's control port.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from simulator.streams import ByteReader, ByteWriter

ServiceHandler = Callable[[ByteReader, ByteWriter], Awaitable[None]]


class PortInUse(Exception):
    """A device-local port is already bound (EADDRINUSE)."""


class LocalServices:
    """The device's listening sockets on loopback: port → handler."""

    def __init__(self) -> None:
        self._handlers: dict[int, ServiceHandler] = {}

    def listen(self, port: int, handler: ServiceHandler) -> None:
        if not 0 < port < 65536:
            raise ValueError(f"device port {port} is outside 1-65535")
        if port in self._handlers:
            raise PortInUse(f"device port {port} is already in use")
        self._handlers[port] = handler

    def close(self, port: int) -> None:
        self._handlers.pop(port, None)

    def lookup(self, port: int) -> ServiceHandler | None:
        return self._handlers.get(port)

    def ports(self) -> list[int]:
        return sorted(self._handlers)

    def clear(self) -> None:
        self._handlers.clear()
