"""The network between device and relay: loss, jitter and outages, decided per packet at the relay.

The relay applies these before it forwards a packet (downlink) or accepts one (uplink), so a capture on the
device really misses the lost packets, shows the delayed ones late and has a hole during an outage.

* Loss ``p`` (percent). ``even`` (default) drops ``p`` % of every run of 20 packets at seeded random positions,
  carrying the fraction, so even a 10-second call shows the configured rate within a packet or two;
  ``bernoulli`` drops each packet independently (binomial noise: ±0.5 % needs ~20,000 packets).
* Jitter ``J`` (ms): each packet is held ``uniform(0, 3J)``; for that distribution the mean absolute
  difference of consecutive delays is ``J``, which is what RFC 3550's interarrival jitter estimates.
* Outages: windows with nothing either way (the profile's schedule, relative to media start, or one started
  at runtime), and the device's ``network_down`` fault.

Conditions are read live from the device's fault state, so ``POST /control/faults`` changes a running call.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

BLOCK = 20


class Conditions(Protocol):
    """The fault fields media reads (the device's :class:`simulator.wmpf.faults.Faults`)."""

    media_loss_pct: float
    media_jitter_ms: float
    network_down: bool


class LossProcess:
    def __init__(self, model: str, rng: random.Random) -> None:
        self.model = model
        self.rng = rng
        self._carry = 0.0
        self._drops: set[int] = set()
        self._pos = BLOCK

    def drop(self, pct: float) -> bool:
        if pct <= 0:
            self._pos, self._carry = BLOCK, 0.0
            return False
        p = min(pct, 100.0) / 100.0
        if self.model == "bernoulli":
            return self.rng.random() < p
        if self._pos >= BLOCK:
            want = p * BLOCK + self._carry
            k = int(want)
            self._carry = want - k
            self._drops = set(self.rng.sample(range(BLOCK), min(k, BLOCK)))
            self._pos = 0
        hit = self._pos in self._drops
        self._pos += 1
        return hit


@dataclass
class DirectionStats:
    """Ground truth for one direction: what the relay was given, forwarded and dropped (and why)."""

    offered: int = 0
    forwarded: int = 0
    lost: int = 0
    outage: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"offered": self.offered, "forwarded": self.forwarded, "lost": self.lost, "outage": self.outage}


@dataclass
class Impairment:
    conditions: Conditions
    loss_model: str
    rng: random.Random
    outages: list[tuple[float, float]] = field(default_factory=list)  # (start, end) on the loop clock

    def __post_init__(self) -> None:
        self.loss = {"up": LossProcess(self.loss_model, random.Random(self.rng.getrandbits(64))),
                     "down": LossProcess(self.loss_model, random.Random(self.rng.getrandbits(64)))}
        self.stats = {"up": DirectionStats(), "down": DirectionStats()}

    def add_outage(self, start: float, duration: float) -> None:
        self.outages.append((start, start + duration))

    def in_outage(self, now: float) -> bool:
        if self.conditions.network_down:
            return True
        return any(start <= now < end for start, end in self.outages)

    def decide(self, direction: str, now: float) -> float | None:
        """None: the packet is dropped; otherwise how long (s) the network holds it."""
        stats = self.stats[direction]
        stats.offered += 1
        if self.in_outage(now):
            stats.outage += 1
            return None
        if self.loss[direction].drop(self.conditions.media_loss_pct):
            stats.lost += 1
            return None
        stats.forwarded += 1
        jitter = self.conditions.media_jitter_ms
        return self.rng.uniform(0.0, 3.0 * jitter) / 1000.0 if jitter > 0 else 0.0
