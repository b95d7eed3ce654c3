"""The device's side of one call's media: its UDP socket, the binding exchange and the uplink RTP.

Started when the call page connects (``startVoip``) and stopped when the call ends or the page dies, so a
capture shows media exactly while the call is up. The binding request is retransmitted on STUN's schedule
(RFC 5389: 0.5 s doubling, 7 tries); if the relay never answers (the ``no_media`` fault, an outage, the
device's network down) the call stays connected with no RTP at all, which is the failure the analysis must
name. Every datagram sent or received goes through the device's :class:`~simulator.media.tap.PacketTap`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING, Any

from simulator.media import rtp, stun
from simulator.media.source import MediaSource

if TYPE_CHECKING:
    from simulator.media.device import DeviceMedia
    from simulator.media.relay import Leg

log = logging.getLogger(__name__)

STUN_RTO_S = 0.5
STUN_TRIES = 7


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, call: CallMedia) -> None:
        self.call = call

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.call._received(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("device media socket: %s", exc)


class CallMedia:
    def __init__(self, media: DeviceMedia, room_id: str, room_type: str, conditions: Any, seed: str) -> None:
        self.media = media
        self.room_id = room_id
        self.room_type = room_type
        self.conditions = conditions
        rng = random.Random(seed)
        self.source = MediaSource(media.config, room_type, random.Random(rng.getrandbits(64)))
        self.leg: Leg | None = None
        self.local: tuple[str, int] | None = None
        self.remote: tuple[str, int] | None = None
        self.bound = False
        self.sent_rtp = 0
        self.received_rtp = 0
        self.binding_requests = 0
        self.active = False
        self._transport: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task[None] | None = None
        self._seed = seed
        self._bound = asyncio.Event()

    async def start(self) -> None:
        relay = self.media.relay
        if relay is None or relay.port is None:
            log.debug("%s: no media relay in this simulator; call %s has no media", self.media.serial,
                        self.room_id)
            return
        loop = asyncio.get_running_loop()
        self.active = True
        token = f"{self.media.serial}:{self.room_id}:{self._seed}"
        self.leg = relay.open_leg(token, self.room_type, self.media.config, self.conditions, self._seed + ":relay")
        for start, end in self.media.pending_outages(loop.time()):
            self.leg.impair.add_outage(start, end - start)
        self.remote = relay.address
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), local_addr=("127.0.0.1", 0))
        if not self.active:  # stopped while the socket was opening
            transport.close()
            return
        self._transport = transport  # type: ignore[assignment]
        self.local = transport.get_extra_info("sockname")[:2]
        self._task = loop.create_task(self._run(token))

    def _send(self, data: bytes) -> None:
        assert self._transport is not None and self.local is not None and self.remote is not None
        self._transport.sendto(data, self.remote)
        self.media.tap.record(True, self.local, self.remote, data)

    async def _run(self, token: str) -> None:
        rto = STUN_RTO_S
        tid = None
        for _ in range(STUN_TRIES):
            request, tid = stun.binding_request(token, tid)
            self.binding_requests += 1
            self._send(request)
            try:
                await asyncio.wait_for(self._bound.wait(), rto)
                break
            except asyncio.TimeoutError:
                rto *= 2
        if not self.bound:
            log.info("%s: media binding for %s timed out: connected call without media", self.media.serial,
                     self.room_id)
            return
        await self._send_loop()

    async def _send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        while self.active:
            packets = self.source.due(loop.time() - t0)
            if not self.conditions.no_media:
                for packet in packets:
                    self._send(packet)
                self.sent_rtp += len(packets)
            await asyncio.sleep(max(0.0, t0 + self.source.next_due() - loop.time()))

    def _received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.local is not None:
            self.media.tap.record(False, addr, self.local, data)
        if rtp.is_media(data):
            self.received_rtp += 1
            return
        msg = stun.parse(data)
        if msg is not None and msg.kind == stun.BINDING_SUCCESS and not self.bound:
            self.bound = True
            self._bound.set()

    def stop(self) -> None:
        self.active = False
        if self._task is not None:
            self._task.cancel()
        if self._transport is not None:
            self._transport.close()
        if self.leg is not None and self.media.relay is not None:
            self.media.relay.close_leg(self.leg)

    def describe(self) -> dict[str, Any]:
        return {"roomId": self.room_id, "roomType": self.room_type, "active": self.active, "bound": self.bound,
                "local": list(self.local) if self.local else None,
                "relay": list(self.remote) if self.remote else None,
                "bindingRequests": self.binding_requests, "sentRtp": self.sent_rtp,
                "receivedRtp": self.received_rtp, "ssrcs": self.source.ssrcs,
                "relayStats": self.leg.stats() if self.leg is not None else None}
