"""Write a call's media straight to a pcap, without sockets: the same sources, impairments and pcap records
as a live call, on a virtual clock. For benchmarks (a 10-minute video call in a couple of seconds) and for
analysis tests that need exact ground truth.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.media import stun
from simulator.media.config import MediaConfig
from simulator.media.impair import Impairment
from simulator.media.pcap import GLOBAL_HEADER, PacketFormatter, device_mac
from simulator.media.source import MediaSource

DEVICE = ("192.168.1.23", 41000)
RELAY = ("203.0.113.10", 3478)


@dataclass
class _Conditions:
    media_loss_pct: float = 0.0
    media_jitter_ms: float = 0.0
    network_down: bool = False
    no_media: bool = False


@dataclass
class SynthResult:
    path: Path
    packets: int
    truth: dict[str, Any] = field(default_factory=dict)


def synthesize_call(path: str | Path, *, duration_s: float, room_type: str = "video",
                    config: MediaConfig | None = None, loss_pct: float = 0.0, jitter_ms: float = 0.0,
                    outages: list[tuple[float, float]] | None = None, start_epoch: float = 1_800_000_000.0,
                    seed: int = 0, one_way_ms: float = 15.0) -> SynthResult:
    """A device-side capture of one call: binding, then RTP both ways for ``duration_s`` seconds.

    ``outages`` are (start_s, duration_s) after media start; loss and jitter apply to the downlink (what the
    device receives), as the relay applies them in a live call.
    """
    config = config or MediaConfig()
    rng = random.Random(seed)
    conditions = _Conditions(loss_pct, jitter_ms)
    impair = Impairment(conditions, config.loss_model, random.Random(rng.getrandbits(64)))
    for start, length in outages or []:
        impair.add_outage(start, length)
    up = MediaSource(config, room_type, random.Random(rng.getrandbits(64)))
    down = MediaSource(config, room_type, random.Random(rng.getrandbits(64)))
    fmt = PacketFormatter(device_mac("synth"))
    events: list[tuple[float, int, bool, bytes]] = []  # (time since media start, order, outgoing, payload)
    order = 0
    request, tid = stun.binding_request("synth:call")
    events.append((-0.040, 0, True, request))
    events.append((-0.040 + 2 * one_way_ms / 1000, 1, False, stun.binding_success(tid, DEVICE)))
    order = 2
    step = config.ptime_ms / 1000 / 2
    t = 0.0
    while t <= duration_s:
        for packet in up.due(t):
            events.append((t, order, True, packet))
            order += 1
        for packet in down.due(t):
            delay = impair.decide("down", t)
            if delay is not None:
                events.append((t + one_way_ms / 1000 + delay, order, False, packet))
                order += 1
        t += step
    heapq.heapify(events)
    path = Path(path)
    count = 0
    with path.open("wb") as out:
        out.write(GLOBAL_HEADER)
        chunk: list[bytes] = []
        while events:
            when, _, outgoing, payload = heapq.heappop(events)
            ts_ns = int((start_epoch + when) * 1e9)
            src, dst = (DEVICE, RELAY) if outgoing else (RELAY, DEVICE)
            chunk.append(fmt.record(ts_ns, outgoing, src, dst, payload))
            count += 1
            if len(chunk) >= 4096:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))
    return SynthResult(path, count, {"down": impair.stats["down"].as_dict(), "start_epoch": start_epoch})
