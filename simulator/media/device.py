"""Media on one simulated device: its ``[media]`` config, its packet tap and its current call's media.

The WMPF call page calls :meth:`DeviceMedia.call_connected` at ``startVoip`` and :meth:`call_ended` when the
call ends or the page dies; the fault interface calls :meth:`outage_now`. Everything runs on the simulator's
loop. The relay is shared by all devices of a simulator; a device without one (built outside a
:class:`~simulator.farm.Simulator`) still has a tap, so ``tcpdump`` works and shows no media.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

from simulator.media.call import CallMedia
from simulator.media.config import MediaConfig, parse_media
from simulator.media.pcap import device_mac
from simulator.media.tap import PacketTap

if TYPE_CHECKING:
    from simulator.device import SimDevice
    from simulator.media.relay import MediaRelay

log = logging.getLogger(__name__)


class DeviceMedia:
    def __init__(self, device: SimDevice, relay: MediaRelay | None = None) -> None:
        self.device = device
        self.serial = device.serialno
        self.config: MediaConfig = parse_media(device.profile)
        self.relay = relay
        self.tap = PacketTap(device.clock.wall_ns)
        self.mac = device_mac(device.serialno)
        self.call: CallMedia | None = None
        self.last_call: CallMedia | None = None
        self._outages: list[tuple[float, float]] = []
        self._calls = itertools.count(1)
        self._start_task: asyncio.Task[None] | None = None

    def call_connected(self, room_id: str, room_type: str, conditions: Any) -> CallMedia | None:
        """Start the call's media (binding, then RTP) unless ``[media] enabled = false``."""
        self.call_ended()
        if not self.config.enabled:
            return None
        seed = f"{self.config.seed}:{self.serial}:{next(self._calls)}"
        call = CallMedia(self, room_id, room_type, conditions, seed)
        self.call = call
        self._start_task = asyncio.get_running_loop().create_task(call.start())
        return call

    def call_ended(self) -> None:
        call, self.call = self.call, None
        if call is not None:
            call.stop()
            self.last_call = call

    def outage_now(self, seconds: float) -> None:
        """No media either way for ``seconds`` from now (the running call and one that starts meanwhile)."""
        if seconds <= 0:
            return
        now = asyncio.get_running_loop().time()
        self._outages = [(s, e) for s, e in self._outages if e > now] + [(now, now + seconds)]
        if self.call is not None and self.call.leg is not None:
            self.call.leg.impair.add_outage(now, seconds)

    def pending_outages(self, now: float) -> list[tuple[float, float]]:
        return [(s, e) for s, e in self._outages if e > now]

    def shutdown(self) -> None:
        self.call_ended()
        self.tap.close_all()

    def describe(self) -> dict[str, Any]:
        return {"enabled": self.config.enabled,
                "relay": list(self.relay.address) if self.relay is not None and self.relay.port else None,
                "call": self.call.describe() if self.call is not None else None,
                "lastCall": self.last_call.describe() if self.last_call is not None else None}
