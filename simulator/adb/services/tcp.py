"""``tcp:PORT`` — a byte stream to a TCP port on the device's loopback (adb forward, create_connection).

The port is looked up in ``device.services`` when the host OPENs, so a port nobody listens on is refused
with CLSE (the client sees ``closed``/connection refused), as adbd refuses when connect() fails. Accepted
forms: ``tcp:PORT``, ``tcp:PORT:HOST`` (old adbd) and ``tcp:HOST:PORT``, where HOST must name the device's
own loopback: the simulated device has no other network to reach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]", "ip6-localhost"}


def parse_port(name: str) -> int | None:
    """The device port named by a ``tcp:`` service, or None if it is malformed or not on loopback."""
    parts = name[len("tcp:"):].split(":")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] in LOOPBACK_NAMES):
        port_text = parts[0]
    elif len(parts) == 2 and parts[0] in LOOPBACK_NAMES:
        port_text = parts[1]
    else:
        return None
    if not port_text.isdigit():
        return None
    port = int(port_text)
    return port if 0 < port < 65536 else None


def resolve(device: SimDevice, name: str) -> ServiceRunner | None:
    port = parse_port(name)
    if port is None:
        return None
    handler = device.services.lookup(port)
    if handler is None:
        return None

    async def run(stream: AdbStream) -> None:
        await handler(stream, stream)
        await stream.close()

    return run
