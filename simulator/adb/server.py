"""The listening socket of one simulated device: what ``adb connect 127.0.0.1:PORT`` reaches.

One asyncio server per device, all on the simulator's single event loop, so hundreds of devices cost one
socket and a few objects each, no threads. A device that is not online (booting, rebooting, link fault)
accepts and immediately closes connections, so the adb server keeps retrying and sees ``offline`` until
the device is back — the same thing it sees when a phone's adbd is not up yet.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from .auth import AdbPublicKey, load_keys
from .transport import AdbConnection

if TYPE_CHECKING:
    from simulator.device import SimDevice

log = logging.getLogger(__name__)

READ_BUFFER_LIMIT = 256 * 1024  # per-connection read buffer before reading from the socket pauses


async def serve_device(device: SimDevice, host: str, port: int, *,
                       adb_keys: Path | None = None) -> asyncio.Server:
    """Start serving adb for ``device`` on ``host:port``; close the returned server to stop listening.

    With ``adb_keys`` (an ``adb_keys`` file, one ``adbkey.pub`` line per host), hosts must authenticate
    with one of those keys, and any other host stays ``unauthorized``; without it the device accepts every
    host at once, like an emulator or a ``ro.adb.secure=0`` build. Existing connections are not cut by
    closing the server; ``device.drop_links()`` does that.
    """
    keys: list[AdbPublicKey] | None = load_keys(adb_keys) if adb_keys is not None else None

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not device.online:
            writer.transport.abort()
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await AdbConnection(device, reader, writer, keys=keys).run()
        except Exception:  # never let one connection's bug reach the server's accept loop
            log.exception("%s: adb connection failed", device.serialno)
            writer.transport.abort()

    server = await asyncio.start_server(on_connect, host, port, reuse_address=True, limit=READ_BUFFER_LIMIT)
    log.info("%s: adb listening on %s:%d%s", device.serialno, host, port, " (auth on)" if keys else "")
    return server
