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
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, create_model, model_validator

from simulator.config_schema import Invalid, Schema, check, validate, validate_as

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


_NON_NEGATIVE = check(lambda v: v >= 0, "a non-negative number")
# the keys each distribution takes: (required, optional)
_DIST_KEYS = {"fixed": (("value",), ()), "uniform": (("low", "high"), ()), "normal": (("mean", "sd"), ()),
              "lognormal": (("median",), ("sigma",))}


class _DistTable(Schema):
    """``{dist = ..., ...}``: the keys are those of its ``dist`` (checked after the types)."""

    dist: Literal["fixed", "uniform", "normal", "lognormal"]
    value: Annotated[float, _NON_NEGATIVE] | None = None
    low: Annotated[float, _NON_NEGATIVE] | None = None
    high: Annotated[float, _NON_NEGATIVE] | None = None
    mean: Annotated[float, _NON_NEGATIVE] | None = None
    sd: Annotated[float, _NON_NEGATIVE] | None = None
    median: Annotated[float, check(lambda v: v > 0, "a positive number")] | None = None
    sigma: Annotated[float, _NON_NEGATIVE] = 0.25

    @model_validator(mode="after")
    def _keys_of_dist(self) -> _DistTable:
        required, optional = _DIST_KEYS[self.dist]
        problems = [(name, "is required but missing") for name in required if getattr(self, name) is None]
        problems += [(name, f"unknown key for dist = {self.dist!r} (it takes {', '.join(required + optional)})")
                     for name in self.model_fields_set - {"dist", *required, *optional}]
        if self.dist == "uniform" and not problems and self.high < self.low:  # type: ignore[operator]
            problems.append(("high", f"must be >= low ({self.low}), got {self.high}"))
        if problems:
            raise Invalid(*problems)
        return self

    def distribution(self) -> Distribution:
        a, b = {"fixed": (self.value, 0.0), "uniform": (self.low, self.high), "normal": (self.mean, self.sd),
                "lognormal": (self.median, self.sigma)}[self.dist]
        return Distribution(self.dist, float(a), float(b))  # type: ignore[arg-type]


def _number_is_fixed(value: Any) -> Any:
    """A bare number means ``{dist = "fixed", value = ...}``; anything else must be a table."""
    if isinstance(value, dict):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        what = f"boolean {value!r}" if isinstance(value, bool) else f"{type(value).__name__} {value!r}"
        raise ValueError(f"expected milliseconds or a table {{dist = ...}}, got {what}")
    if value < 0:
        raise ValueError(f"expected a non-negative number of milliseconds, got {value!r}")
    return {"dist": "fixed", "value": value}


StepSpec = Annotated[_DistTable, BeforeValidator(_number_is_fixed)]
_STEP = TypeAdapter(StepSpec)


def parse_distribution(source: str, key: str, value: Any) -> Distribution:
    """Parse a number (fixed) or a ``{dist = ...}`` table, naming file and key in any error."""
    return validate_as(_STEP, value, source, key=key).distribution()


_POSITIVE_SECONDS = check(lambda v: v > 0, "positive seconds")
# [timing]: the seed, one field per step (a distribution) and one per protocol timer (seconds)
_TimingTable = create_model(  # type: ignore[call-overload]
    "_TimingTable", __base__=Schema, seed=(int, 0),
    **{name: (StepSpec, Field(default_factory=lambda spec=spec: _STEP.validate_python(spec)))
       for name, spec in DEFAULT_STEPS.items()},
    **{name: (Annotated[float, _POSITIVE_SECONDS], seconds) for name, seconds in DEFAULT_TIMERS.items()},
)


@dataclass(frozen=True)
class TimingConfig:
    """The validated ``[timing]`` table."""

    seed: int
    steps: dict[str, Distribution]
    timers: dict[str, float]


def parse_timing(table: Any, source: str) -> TimingConfig:
    known = ", ".join([*DEFAULT_STEPS, *DEFAULT_TIMERS])
    t = validate(table, _TimingTable, source, key="timing", unknown=f"unknown timing step (known: seed, {known})")
    return TimingConfig(seed=t.seed, steps={name: getattr(t, name).distribution() for name in DEFAULT_STEPS},
                        timers={name: float(getattr(t, name)) for name in DEFAULT_TIMERS})


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
