"""How long each modelled step takes: seeded distributions from the profile's ``[timing]`` table.

The harness measures latencies (push → ring, answer → connected, WMPF restart), so the simulator must
produce realistic, *varied* and yet reproducible times. Every step draws from its own distribution with a
per-device seeded generator, and every duration is multiplied by the device's ``time_scale`` so a CI run
with ``time_scale = 0.05`` plays a 60 s ring timeout in 3 s while keeping the shape of the timeline.

Profile syntax (all durations in milliseconds of *unscaled* device time)::

    [timing]
    seed = 7
    push_delivery_ms = {dist = "lognormal", median = 300, sigma = 0.3}
    cold_start_ms = {dist = "uniform", low = 1800, high = 3500}
    warm_start_ms = {dist = "normal", mean = 600, sd = 80}
    ring_show_ms = 150                      # a bare number = fixed
    ring_timeout_s = 60                     # protocol timers are fixed numbers in seconds
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from simulator.errors import ProfileError
from simulator.profile import _Reader

# Step name -> default distribution. Medians are [INFERRED]: the WMPF docs give no numbers (facts doc §4).
DEFAULT_STEPS: dict[str, dict[str, Any]] = {
    "push_delivery_ms": {"dist": "lognormal", "median": 300, "sigma": 0.3},
    "ring_show_ms": {"dist": "lognormal", "median": 150, "sigma": 0.2},
    "cold_start_ms": {"dist": "lognormal", "median": 2500, "sigma": 0.25},
    "warm_start_ms": {"dist": "lognormal", "median": 600, "sigma": 0.2},
    "caller_join_ms": {"dist": "lognormal", "median": 800, "sigma": 0.3},
    "answer_to_connect_ms": {"dist": "lognormal", "median": 700, "sigma": 0.3},
    "wmpf_start_ms": {"dist": "lognormal", "median": 1500, "sigma": 0.2},
    "wmpf_relaunch_delay_ms": {"dist": "fixed", "value": 500},
    "activation_ms": {"dist": "lognormal", "median": 400, "sigma": 0.3},
    "host_start_ms": {"dist": "lognormal", "median": 300, "sigma": 0.2},
    "finish_voip_ms": {"dist": "lognormal", "median": 500, "sigma": 0.3},
    "end_action_ms": {"dist": "fixed", "value": 200},
    "network_loss_detect_ms": {"dist": "fixed", "value": 5000},
    "caller_action_ms": {"dist": "lognormal", "median": 150, "sigma": 0.3},
}

# Protocol timers, seconds (facts doc §4): fixed, but scaled like everything else.
DEFAULT_TIMERS: dict[str, float] = {
    "ring_timeout_s": 60.0,  # [DOC] guide.html: nobody answers within 60 s -> timeout + endVoip
    "join_timeout_s": 20.0,  # [DOC] onVoipEvent.html: listener waitOtherToJoin timeout
    "calling_period_s": 1.0,  # [DOC] `calling` every second
    "host_ring_timeout_s": 60.0,  # [INFERRED] the host app's own incoming screen gives up like the caller
}

DISTS = ("fixed", "uniform", "normal", "lognormal")


@dataclass(frozen=True)
class Distribution:
    """One step's distribution of durations in milliseconds (never negative)."""

    dist: str
    a: float  # fixed: value; uniform: low; normal: mean; lognormal: median
    b: float = 0.0  # uniform: high; normal: sd; lognormal: sigma

    def draw(self, rng: random.Random) -> float:
        if self.dist == "fixed":
            return self.a
        if self.dist == "uniform":
            return rng.uniform(self.a, self.b)
        if self.dist == "normal":
            return max(0.0, rng.gauss(self.a, self.b))
        return self.a * math.exp(rng.gauss(0.0, self.b))  # lognormal around its median

    @property
    def typical_ms(self) -> float:
        """The centre of the distribution (for documentation and assertions)."""
        return (self.a + self.b) / 2 if self.dist == "uniform" else self.a


def parse_distribution(source: str, key: str, value: Any) -> Distribution:
    """Parse a number (fixed) or a ``{dist = ...}`` table, naming file and key in any error."""

    def fail(problem: str) -> ProfileError:
        return ProfileError(source, key, problem)

    if isinstance(value, bool):
        raise fail(f"expected milliseconds or a table {{dist = ...}}, got boolean {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise fail(f"expected a non-negative number of milliseconds, got {value!r}")
        return Distribution("fixed", float(value))
    if not isinstance(value, dict):
        raise fail(f"expected milliseconds or a table {{dist = ...}}, got {type(value).__name__} {value!r}")
    r = _Reader(source, value, key + ".")
    dist = r.get("dist", str, check=lambda d: d in DISTS, hint="one of " + ", ".join(DISTS))
    number = (int, float)
    nonneg = {"check": lambda v: v >= 0, "hint": "a non-negative number"}
    if dist == "fixed":
        out = Distribution(dist, float(r.get("value", number, **nonneg)))
    elif dist == "uniform":
        low = float(r.get("low", number, **nonneg))
        high = float(r.get("high", number, **nonneg))
        if high < low:
            raise r.fail("high", f"must be >= low ({low}), got {high}")
        out = Distribution(dist, low, high)
    elif dist == "normal":
        out = Distribution(dist, float(r.get("mean", number, **nonneg)), float(r.get("sd", number, **nonneg)))
    else:
        median = float(r.get("median", number, check=lambda v: v > 0, hint="a positive number"))
        out = Distribution(dist, median, float(r.get("sigma", number, 0.25, **nonneg)))
    r.reject_unknown()
    return out


@dataclass(frozen=True)
class TimingConfig:
    """The validated ``[timing]`` table."""

    seed: int
    steps: dict[str, Distribution]
    timers: dict[str, float]


def parse_timing(table: dict[str, Any], source: str) -> TimingConfig:
    r = _Reader(source, table, "timing.")
    seed = r.get("seed", int, 0)
    steps = {name: parse_distribution(source, f"timing.{name}", spec) for name, spec in DEFAULT_STEPS.items()}
    timers = dict(DEFAULT_TIMERS)
    for name in table:
        if name == "seed":
            continue
        r.used.add(name)
        if name in DEFAULT_TIMERS:
            timers[name] = float(r.get(name, (int, float), check=lambda v: v > 0, hint="positive seconds"))
        elif name in DEFAULT_STEPS:
            steps[name] = parse_distribution(source, f"timing.{name}", table[name])
        else:
            known = ", ".join([*DEFAULT_STEPS, *DEFAULT_TIMERS])
            raise r.fail(name, f"unknown timing step (known: seed, {known})")
    return TimingConfig(seed=seed, steps=steps, timers=timers)


class Timing:
    """Draws scaled durations for one device; deterministic for a given seed and serial number."""

    def __init__(self, config: TimingConfig, time_scale: float, serialno: str) -> None:
        self.config = config
        self.time_scale = time_scale
        self.rng = random.Random(f"{config.seed}:{serialno}")

    def draw_ms(self, step: str, factor: float = 1.0) -> float:
        """An unscaled duration for ``step`` in device milliseconds."""
        try:
            dist = self.config.steps[step]
        except KeyError:
            raise KeyError(f"unknown timing step {step!r}; known: {', '.join(self.config.steps)}") from None
        return dist.draw(self.rng) * factor

    def delay(self, step: str, factor: float = 1.0) -> float:
        """A scaled duration for ``step`` in host seconds (what to sleep)."""
        return self.draw_ms(step, factor) / 1000.0 * self.time_scale

    def timer(self, name: str) -> float:
        """A protocol timer (ring timeout, join wait, calling period) in scaled host seconds."""
        return self.config.timers[name] * self.time_scale

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale
