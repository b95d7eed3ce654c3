"""One adb transport connection (one TCP connection from an adb server), device side.

The connection does what adbd's transport does: answer the host's CNXN (optionally after AUTH), keep the
table of open streams, hand each OPEN to a service, and move WRTE/OKAY/CLSE between the socket and the
streams. It OPENs toward the host only for an ``adb reverse`` forward the host set up on this connection (a
current adb server aborts on an OPEN it did not ask for).

Anything malformed from the host closes this one connection and is logged; other connections and the
listening socket are untouched. While connected, the connection sits in ``device.links`` so a link drop or a
reboot can cut it from the device side.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import protocol as p
from .auth import AdbPublicKey, Authenticator
from .features import FEATURES
from .services import ServiceRunner, open_service
from .stream import AdbStream

if TYPE_CHECKING:
    from simulator.device import SimDevice

log = logging.getLogger(__name__)


class AdbConnection:
    """Device side of one adb transport. :meth:`run` serves it until the socket closes."""

    _count = itertools.count(3)  # adbd names TCP transports after their socket fd: host-3, host-4, ...

    def __init__(self, device: SimDevice, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                 keys: list[AdbPublicKey] | None = None) -> None:
        self.device = device
        self._reader = reader
        self._writer = writer
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.version = p.A_VERSION_MIN
        self._max_payload = p.MAX_PAYLOAD_V1
        self._auth = Authenticator(keys) if keys is not None else None
        self.online = False  # True once we sent CNXN: the host lists us as "device"
        self.host_features: set[str] = set()
        self.offered_keys: list[str] = []  # AUTH RSAPUBLICKEY payloads (real adbd would prompt)
        self._streams: dict[int, AdbStream] = {}
        self.transport_name = f"host-{next(AdbConnection._count)}"
        self.on_close: list[Callable[[], None]] = []  # run once when the connection ends (reverse forwards)
        self._opening: dict[int, asyncio.Future[bool]] = {}  # streams we OPENed, until the host answers
        self._next_id = 1
        self._closed = False

    def __repr__(self) -> str:
        return f"<AdbConnection {self.device.serialno} from {self.peer}>"

    @property
    def max_payload(self) -> int:
        return self._max_payload

    # -- lifecycle ----------------------------------------------------------------------------------
    async def run(self) -> None:
        self.device.links.add(self)
        try:
            while not self._closed:
                msg = await self._read_message()
                self._dispatch(msg)
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                log.warning("%s: connection ended inside a message (%d of %d bytes); closing",
                            self, len(exc.partial), exc.expected)
        except (ConnectionError, OSError):
            pass
        except p.ProtocolError as exc:
            log.warning("%s: protocol error, closing this connection: %s", self, exc)
        finally:
            self._teardown()

    def abort(self) -> None:
        """Cut the link at once (device.drop_links, reboot): the host sees the socket die."""
        if not self._closed:
            self._closed = True
            self._writer.transport.abort()

    def _teardown(self) -> None:
        self.device.links.discard(self)
        for pending in self._opening.values():
            if not pending.done():
                pending.set_result(False)
        self._opening.clear()
        callbacks, self.on_close = self.on_close, []
        for callback in callbacks:
            callback()
        streams = list(self._streams.values())
        self._streams.clear()
        for stream in streams:
            stream.on_peer_close()
        if not self._closed:
            self._closed = True
            self._writer.transport.abort()

    async def _read_message(self) -> p.Message:
        raw = await self._reader.readexactly(p.HEADER_SIZE)
        # Before CNXN the host does not know our maximum yet; after it, the negotiated one binds it.
        header = p.decode_header(raw, self._max_payload if self.online else p.MAX_PAYLOAD)
        data = await self._reader.readexactly(header.data_length) if header.data_length else b""
        return p.Message(header.command, header.arg0, header.arg1, data)

    # -- sending ------------------------------------------------------------------------------------
    def _send(self, msg: p.Message) -> None:
        if self._closed or self._writer.transport.is_closing():
            return
        if len(msg.data) > 4096:  # don't copy a large payload just to prepend 24 bytes
            self._writer.writelines((p.pack_header(msg, self.version), msg.data))
        else:
            self._writer.write(p.encode(msg, self.version))

    def send_okay(self, local_id: int, remote_id: int) -> None:
        self._send(p.Message(p.A_OKAY, local_id, remote_id))

    def send_write(self, local_id: int, remote_id: int, data: bytes) -> None:
        self._send(p.Message(p.A_WRTE, local_id, remote_id, data))

    def send_close(self, local_id: int, remote_id: int) -> None:
        self._send(p.Message(p.A_CLSE, local_id, remote_id))

    def forget(self, stream: AdbStream) -> None:
        if self._streams.get(stream.local_id) is stream:
            del self._streams[stream.local_id]

    async def drain(self) -> None:
        if self._closed:
            raise ConnectionResetError("adb connection closed")
        await self._writer.drain()

    # -- receiving ----------------------------------------------------------------------------------
    def _dispatch(self, msg: p.Message) -> None:
        if msg.command == p.A_CNXN:
            self._on_connect(msg)
        elif msg.command == p.A_AUTH:
            self._on_auth(msg)
        elif not self.online:
            log.debug("%s: ignoring %r before the connection is authorised", self, msg)
        elif msg.command == p.A_OPEN:
            self._on_open(msg)
        elif msg.command == p.A_OKAY:
            stream = self._streams.get(msg.arg1)
            pending = self._opening.pop(msg.arg1, None)
            if stream is not None and pending is not None and msg.arg0:
                stream.remote_id = msg.arg0  # the host accepted a stream we opened (adb reverse)
                if not pending.done():
                    pending.set_result(True)
            elif stream is not None and stream.remote_id == msg.arg0:
                stream.on_okay()
        elif msg.command == p.A_WRTE:
            stream = self._streams.get(msg.arg1)
            if stream is not None and stream.remote_id == msg.arg0:
                stream.on_write(msg.data)
        elif msg.command == p.A_CLSE:
            self._on_close(msg)
        else:  # SYNC, STLS: valid commands this device does not speak
            log.debug("%s: ignoring %r", self, msg)

    def _on_connect(self, msg: p.Message) -> None:
        if msg.arg0 < p.A_VERSION_MIN:
            raise p.ProtocolError(f"host protocol version 0x{msg.arg0:08x} is older than 0x{p.A_VERSION_MIN:08x}")
        if self._streams:  # a new CNXN restarts the transport, like adbd's handle_new_connection
            for stream in list(self._streams.values()):
                stream.on_peer_close()
            self._streams.clear()
        self.online = False
        self.version = min(msg.arg0, p.A_VERSION)
        self._max_payload = max(p.MAX_PAYLOAD_V1, min(msg.arg1, p.MAX_PAYLOAD))
        _kind, _props, self.host_features = p.parse_banner(msg.data)
        if self._auth is None:
            self._send_cnxn()
        else:
            self._send(p.Message(p.A_AUTH, p.AUTH_TOKEN, 0, self._auth.next_token()))

    def _send_cnxn(self) -> None:
        self.online = True
        self._send(p.Message(p.A_CNXN, p.A_VERSION, self._max_payload, self.device.banner(FEATURES)))

    def _on_auth(self, msg: p.Message) -> None:
        if self._auth is None or self.online:
            log.debug("%s: ignoring unsolicited AUTH type %d", self, msg.arg0)
            return
        if msg.arg0 == p.AUTH_SIGNATURE:
            key = self._auth.check(msg.data)
            if key is not None:
                log.info("%s: host authorised with key %s", self, key.comment or "(no comment)")
                self._send_cnxn()
            else:  # real adbd: a fresh token, so the host can try its next key
                self._send(p.Message(p.A_AUTH, p.AUTH_TOKEN, 0, self._auth.next_token()))
        elif msg.arg0 == p.AUTH_RSAPUBLICKEY:
            # A real device would now ask its user; the simulated one stays "unauthorized".
            key_text = msg.data.rstrip(b"\0").decode("ascii", "replace")
            self.offered_keys.append(key_text)
            log.info("%s: host offered an unknown key (%s); staying unauthorized", self,
                     key_text.partition(" ")[2] or "no comment")
        else:
            log.warning("%s: ignoring AUTH of unknown type %d", self, msg.arg0)

    def _on_open(self, msg: p.Message) -> None:
        remote_id = msg.arg0
        if remote_id == 0:
            raise p.ProtocolError("OPEN with local-id 0")
        # Like adbd's StripTrailingNulls: abb_exec separates its arguments with NULs inside the name.
        name = msg.data.rstrip(b"\0").decode("utf-8", "surrogateescape")
        runner = open_service(self.device, name)
        if runner is None:
            log.debug("%s: refusing service %r", self, name)
            self.send_close(0, remote_id)
            return
        local_id = self._allocate_id()
        stream = AdbStream(self, local_id, remote_id, name)
        self._streams[local_id] = stream
        self.send_okay(local_id, remote_id)
        stream.task = asyncio.get_running_loop().create_task(
            self._run_service(stream, runner), name=f"adb:{self.device.serialno}:{name[:40]}")

    async def open_to_host(self, service: str) -> AdbStream | None:
        """OPEN a stream toward the host (only for ``adb reverse``: the host accepts exactly the targets of
        the reverse forwards it set up); None if the host refuses or the link dies first."""
        if self._closed or not self.online:
            return None
        local_id = self._allocate_id()
        stream = AdbStream(self, local_id, 0, service)
        self._streams[local_id] = stream
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._opening[local_id] = answer
        self._send(p.Message(p.A_OPEN, local_id, 0, service.encode() + b"\0"))
        if not await answer:
            self._streams.pop(local_id, None)
            return None
        return stream

    def _allocate_id(self) -> int:
        while True:
            local_id = self._next_id
            self._next_id = self._next_id % 0xFFFFFFFF + 1
            if local_id not in self._streams:
                return local_id

    async def _run_service(self, stream: AdbStream, runner: ServiceRunner) -> None:
        try:
            await runner(stream)
        except asyncio.CancelledError:
            pass  # the host closed the stream or the connection went away
        except Exception:
            log.exception("%s: service %r failed", self, stream.service)
        finally:
            if not stream.closed:
                with contextlib.suppress(asyncio.CancelledError):
                    await stream.close()
            self.forget(stream)

    def _on_close(self, msg: p.Message) -> None:
        stream = self._streams.get(msg.arg1)
        if stream is None:
            return  # we closed it already; this is the host's answer
        pending = self._opening.pop(msg.arg1, None)
        if pending is not None:  # the host refused a stream we opened: nothing to close back
            del self._streams[msg.arg1]
            stream.on_peer_close()
            if not pending.done():
                pending.set_result(False)
            return
        if msg.arg0 not in (0, stream.remote_id):
            return
        del self._streams[msg.arg1]
        self.send_close(stream.local_id, stream.remote_id)
        stream.on_peer_close()
