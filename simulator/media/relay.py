"""The simulated media relay: WeChat's side of every call's media path, one per simulator process.

A real UDP socket on loopback. A device's call opens a *leg* (its credentials, room type and fault state),
then sends a STUN Binding Request naming the leg; the relay binds the sender's address and answers. From
then on it plays the phone: it sends the downlink RTP (audio, plus video in a video call) at the profile's
rates and receives the uplink, applying loss, jitter and outages to both directions (:mod:`impair`), and
keeps per-direction ground truth. One task ticks every 10 ms for all legs (batched sends), and one timer
releases jitter-delayed packets, so 64 concurrent calls cost a few hundred wake-ups a second, not thousands.
"""

from __future__ import annotations

import asyncio
import errno
import heapq
import itertools
import logging
import random
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import SimulatorError
from simulator.media import rtp, stun
from simulator.media.config import MediaConfig
from simulator.media.impair import Impairment
from simulator.media.source import MediaSource
from simulator.ports import candidate_ports

log = logging.getLogger(__name__)

DEFAULT_RELAY_PORT = 3478  # STUN/TURN's well-known port, outside the ephemeral range
TICK_S = 0.010


@dataclass
class Leg:
    """One call's media path through the relay."""

    token: str
    room_type: str
    config: MediaConfig
    conditions: Any  # the device's Faults: media_loss_pct, media_jitter_ms, network_down, no_media
    rng: random.Random
    addr: tuple[str, int] | None = None
    t0: float | None = None  # loop time the leg was bound (media start)
    uplink_rtp: int = 0  # RTP packets that reached the relay
    source: MediaSource = field(init=False)
    impair: Impairment = field(init=False)

    def __post_init__(self) -> None:
        self.source = MediaSource(self.config, self.room_type, random.Random(self.rng.getrandbits(64)))
        self.impair = Impairment(self.conditions, self.config.loss_model, random.Random(self.rng.getrandbits(64)))

    def stats(self) -> dict[str, Any]:
        return {"up": self.impair.stats["up"].as_dict(), "down": self.impair.stats["down"].as_dict(),
                "uplink_rtp_received": self.uplink_rtp, "downlink_ssrcs": self.source.ssrcs}


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, relay: MediaRelay) -> None:
        self.relay = relay

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.relay._received(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable after a device closed its socket
        log.debug("media relay: %s", exc)


class MediaRelay:
    def __init__(self, host: str = "127.0.0.1", base_port: int = DEFAULT_RELAY_PORT) -> None:
        self.host = host
        self.base_port = base_port
        self.port: int | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._legs: dict[str, Leg] = {}
        self._by_addr: dict[tuple[str, int], Leg] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._delayed: list[tuple[float, int, bytes, tuple[str, int]]] = []
        self._delay_timer: asyncio.TimerHandle | None = None
        self._seq = itertools.count()

    @property
    def address(self) -> tuple[str, int]:
        if self.port is None:
            raise SimulatorError("the media relay is not running")
        return self.host, self.port

    async def start(self) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        for port in candidate_ports(self.base_port)[:200]:
            try:
                transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self),
                                                                   local_addr=(self.host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    continue
                raise
            self._transport = transport  # type: ignore[assignment]
            self.port = port
            return self.address
        raise SimulatorError(f"no free UDP port for the media relay from {self.base_port} upwards")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self._delay_timer is not None:
            self._delay_timer.cancel()
        self._legs.clear()
        self._by_addr.clear()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # -- legs -----------------------------------------------------------------------------------------
    def open_leg(self, token: str, room_type: str, config: MediaConfig, conditions: Any, seed: str) -> Leg:
        leg = Leg(token, room_type, config, conditions, random.Random(seed))
        self._legs[token] = leg
        return leg

    def close_leg(self, leg: Leg) -> None:
        self._legs.pop(leg.token, None)
        if leg.addr is not None and self._by_addr.get(leg.addr) is leg:
            del self._by_addr[leg.addr]

    @property
    def legs(self) -> int:
        return len(self._legs)

    # -- traffic --------------------------------------------------------------------------------------
    def _received(self, data: bytes, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        if rtp.is_media(data):
            leg = self._by_addr.get(addr)
            if leg is not None and leg.t0 is not None and leg.impair.decide("up", loop.time()) is not None:
                leg.uplink_rtp += 1
            return
        msg = stun.parse(data)
        if msg is None or msg.kind != stun.BINDING_REQUEST or msg.username is None:
            return
        leg = self._legs.get(msg.username)
        if leg is None or leg.conditions.no_media or leg.impair.in_outage(loop.time()):
            return  # unknown credentials, or the media path is broken: the device's request times out
        if leg.addr is None:
            leg.addr = addr
            leg.t0 = loop.time()
            for outage in leg.config.outages:
                leg.impair.add_outage(leg.t0 + outage.start_s, outage.duration_s)
            self._by_addr[addr] = leg
            if self._ticker is None or self._ticker.done():
                self._ticker = loop.create_task(self._tick_loop())
        assert self._transport is not None
        self._transport.sendto(stun.binding_success(msg.transaction, addr), addr)

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while self._legs:
            now = loop.time()
            for leg in list(self._legs.values()):
                if leg.t0 is not None and leg.addr is not None:
                    self._send_due(leg, now)
            next_tick += TICK_S
            if next_tick < now:  # the loop stalled: skip ahead instead of bursting to catch up
                next_tick = now + TICK_S
            await asyncio.sleep(next_tick - loop.time())

    def _send_due(self, leg: Leg, now: float) -> None:
        assert leg.t0 is not None and leg.addr is not None and self._transport is not None
        packets = leg.source.due(now - leg.t0)
        if leg.conditions.no_media:
            return
        addr = leg.addr
        for packet in packets:
            delay = leg.impair.decide("down", now)
            if delay is None:
                continue
            if delay <= 0:
                self._transport.sendto(packet, addr)
            else:
                heapq.heappush(self._delayed, (now + delay, next(self._seq), packet, addr))
        if self._delayed:
            self._arm_delay_timer()

    def _arm_delay_timer(self) -> None:
        if self._delay_timer is not None:
            self._delay_timer.cancel()
        self._delay_timer = asyncio.get_running_loop().call_at(self._delayed[0][0], self._release)

    def _release(self) -> None:
        self._delay_timer = None
        now = asyncio.get_running_loop().time()
        while self._delayed and self._delayed[0][0] <= now + 0.0005:
            _, _, packet, addr = heapq.heappop(self._delayed)
            if addr in self._by_addr and self._transport is not None:
                self._transport.sendto(packet, addr)
        if self._delayed:
            self._arm_delay_timer()
