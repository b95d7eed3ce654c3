"""``reverse:`` — ``adb reverse``: the device listens on a port and each connection there reaches the host.

Requests (``handle_forward_request`` in AOSP ``adb.cpp``, device side):

* ``reverse:forward:[norebind:]LOCAL;REMOTE`` → ``OKAY`` (plus the port as a length-prefixed string when
  LOCAL was ``tcp:0``), or ``FAIL`` + message (``cannot rebind existing socket``, ``cannot bind listener``);
* ``reverse:killforward:LOCAL`` → ``OKAY`` or ``FAIL listener 'LOCAL' not found``;
* ``reverse:killforward-all`` → ``OKAY``;
* ``reverse:list-forward`` → length-prefixed text, one ``host-N LOCAL REMOTE`` line per forward.

LOCAL must be ``tcp:PORT`` here (the simulated device has no UNIX sockets). A device-side connection to the
port makes this adbd OPEN ``REMOTE`` toward the host on the connection that asked for the forward; the forward
ends with that connection, with an adbd restart or a reboot, like adbd's listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from simulator.adbd import ReverseForward
from simulator.local_services import PortInUse
from simulator.streams import ByteReader, ByteWriter, StreamClosed

if TYPE_CHECKING:
    from simulator.adb.services import ServiceRunner
    from simulator.adb.stream import AdbStream
    from simulator.adb.transport import AdbConnection
    from simulator.device import SimDevice

log = logging.getLogger(__name__)
FIRST_EPHEMERAL_PORT = 37000  # where tcp:0 forwards are placed, as the kernel would pick one


def _protocol_string(text: str) -> bytes:
    data = text.encode()
    return f"{len(data):04x}".encode() + data


def _fail(message: str) -> bytes:
    return b"FAIL" + _protocol_string(message)


def _parse_local(spec: str) -> int | None:
    """The device port of ``tcp:PORT`` (0 = pick one), or None for a spec this device cannot listen on."""
    kind, _, rest = spec.partition(":")
    if kind != "tcp" or not rest.isdigit():
        return None
    port = int(rest)
    return port if 0 <= port < 65536 else None


def format_list(device: SimDevice) -> str:
    return "".join(f"{getattr(fwd.link, 'transport_name', 'host-1')} {fwd.local} {fwd.remote}\n"
                   for fwd in device.adbd.reverse.values())


def remove(device: SimDevice, local: str) -> bool:
    fwd = device.adbd.reverse.pop(local, None)
    if fwd is None:
        return False
    device.services.close(fwd.port)
    return True


def remove_all(device: SimDevice, link: object | None = None) -> None:
    for local, fwd in list(device.adbd.reverse.items()):
        if link is None or fwd.link is link:
            remove(device, local)


def _handler(device: SimDevice, link: AdbConnection, remote: str):
    async def serve(reader: ByteReader, writer: ByteWriter) -> None:
        stream = await link.open_to_host(remote)
        if stream is None:
            log.info("%s: host refused reverse connection to %s", device.serialno, remote)
            await writer.close()
            return
        await _splice(reader, writer, stream)

    return serve


async def _splice(reader: ByteReader, writer: ByteWriter, stream: AdbStream) -> None:
    """Copy both ways until either side ends; then end the other."""

    async def up() -> None:
        with contextlib.suppress(StreamClosed, ConnectionError):
            while chunk := await reader.read(65536):
                await stream.write(chunk)
        await stream.close()

    async def down() -> None:
        with contextlib.suppress(StreamClosed, ConnectionError):
            while chunk := await stream.read(65536):
                await writer.write(chunk)
        await writer.close()

    tasks = [asyncio.ensure_future(up()), asyncio.ensure_future(down())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(StreamClosed, ConnectionError, asyncio.CancelledError):
            await stream.close()
            await writer.close()


def _forward(device: SimDevice, link: AdbConnection, spec: str) -> bytes:
    no_rebind = spec.startswith("norebind:")
    if no_rebind:
        spec = spec[len("norebind:"):]
    pieces = spec.split(";")
    if len(pieces) != 2 or not pieces[0] or not pieces[1] or pieces[1].startswith("*"):
        return _fail(f"bad forward: {spec}")
    local, remote = pieces
    port = _parse_local(local)
    if port is None:
        return _fail(f"cannot bind listener: cannot bind to {local}: unsupported on this device")
    existing = device.adbd.reverse.get(local)
    if existing is not None:
        if no_rebind:
            return _fail("cannot rebind existing socket")
        existing.remote = remote
        existing.link = link
        device.services.close(existing.port)
        device.services.listen(existing.port, _handler(device, link, remote))
        return b"OKAY"
    resolved = ""
    if port == 0:
        port = FIRST_EPHEMERAL_PORT
        while device.services.lookup(port) is not None:
            port += 1
        local = f"tcp:{port}"
        resolved = str(port)
    try:
        device.services.listen(port, _handler(device, link, remote))
    except PortInUse:
        return _fail(f"cannot bind listener: cannot bind to {local}: Address already in use")
    fwd = ReverseForward(local=local, remote=remote, port=port, link=link)
    device.adbd.reverse[local] = fwd
    link.on_close.append(lambda: remove_all(device, link))
    return b"OKAY" + (_protocol_string(resolved) if resolved else b"")


def resolve(device: SimDevice, name: str) -> ServiceRunner:
    command = name[len("reverse:"):]

    async def run(stream: AdbStream) -> None:
        link = stream.owner
        if command == "list-forward":
            reply = _protocol_string(format_list(device))
        elif command == "killforward-all":
            remove_all(device)
            reply = b"OKAY"
        elif command.startswith("killforward:"):
            local = command[len("killforward:"):]
            reply = b"OKAY" if remove(device, local) else _fail(f"listener '{local}' not found")
        elif command.startswith("forward:"):
            reply = _forward(device, link, command[len("forward:"):])  # type: ignore[arg-type]
        else:
            reply = _fail("not a reverse forwarding command")
        await stream.write(reply)
        await stream.close()

    return run
