"""Release gates: limits a run must meet (a TOML file) and regressions against an earlier run (a baseline).

A release is blocked or shipped on these numbers, so a gates file is validated strictly (a typo in a latency
name must not silently disable a gate: :class:`GatesError` names the file, the key and the problem), and a
verdict lists *every* gate missed and by how much, not only the first. The figures judged are the report's
(:mod:`harness.report.model`): nearest-rank percentiles over passed calls. One
:class:`~harness.config.schema.Schema` model per table.

File format (``fixtures/gates/default.toml`` is the default set)::

    [latency.push_to_ring]      # any latency of harness.results.records.LATENCIES; stats p50, p90, p99, max (ms)
    p90 = 5000
    [recovery]
    max_ms = 15000              # wmpf_recovery: the slowest WMPF recovery of the run
    [failures]
    product = 0                 # failed calls, failure-proof scenarios' expected failures not counted
    lab_error = 2
    [soak]                      # growth per hundred calls over a soak (least-squares slope, one pid's stretch)
    pss_kb_per_100_calls = 4096 # of the WMPF and host-app processes (dumpsys meminfo TOTAL PSS)
    threads_per_100_calls = 2
    fd_size_per_100_calls = 64  # /proc/PID/status FDSize
    [baseline]                  # used with --baseline RESULTS
    tolerance_pct = 20          # a stat more than 20 % slower than the baseline's is a regression...
    min_delta_ms = 20           # ...and more than 20 ms slower (noise floor for millisecond latencies)
    stats = ["p50", "p90"]
    [baseline.tolerance_pct_by_latency]
    push_to_ring = 10
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PrivateAttr, create_model

from harness.config.locations import FIXTURES_DIR
from harness.config.schema import Schema, matching, validate
from harness.config.toml_file import read_toml
from harness.errors import ConfigError
from harness.results.records import LATENCIES

STATS = ("p50", "p90", "p99", "max")
# [soak] key -> the sampled metric it limits (harness.results.soak.METRICS)
SOAK_GATES = {"pss_kb_per_100_calls": "pss_kb", "rss_kb_per_100_calls": "rss_kb",
              "threads_per_100_calls": "threads", "fd_size_per_100_calls": "fd_size"}
DEFAULT_GATES = FIXTURES_DIR / "gates" / "default.toml"


class GatesError(ConfigError):
    """A gates file is invalid (names the file, the key and the problem)."""


def _not_negative(value: float) -> float:
    if value < 0:
        raise ValueError(f"must not be negative, got {value!r}")
    return value


def _whole(value: float) -> float:
    if int(value) != value:
        raise ValueError(f"must be a whole number of calls, got {value!r}")
    return value


Ms = Annotated[float, AfterValidator(_not_negative)]
Calls = Annotated[float, AfterValidator(_not_negative), AfterValidator(_whole)]


class Limits(Schema):
    """``[latency.NAME]``: the limit (ms) of each stat gated."""

    p50: Ms | None = None
    p90: Ms | None = None
    p99: Ms | None = None
    max: Ms | None = None


# One optional key per latency the records know, so a misspelt latency is an unknown key.
LatencyTable: type[Schema] = create_model(  # type: ignore[call-overload]
    "LatencyTable", __base__=Schema, **{name: (Limits | None, None) for name in LATENCIES})
ToleranceTable: type[Schema] = create_model(  # type: ignore[call-overload]
    "ToleranceTable", __base__=Schema, **{name: (Ms | None, None) for name in LATENCIES})


class Recovery(Schema):
    max_ms: Ms | None = None


class Failures(Schema):
    product: Calls | None = None
    lab_error: Calls | None = None


class Soak(Schema):
    """``[soak]``: the growth per hundred calls each sampled metric may show over a soak."""

    pss_kb_per_100_calls: Ms | None = None
    rss_kb_per_100_calls: Ms | None = None
    threads_per_100_calls: Ms | None = None
    fd_size_per_100_calls: Ms | None = None


class BaselinePolicy(Schema):
    """``[baseline]``: when a slower stat than the baseline run's is a regression."""

    tolerance_pct: Ms = 20.0
    min_delta_ms: Ms = 20.0
    stats: Annotated[list[str], matching(lambda s: bool(s) and all(x in STATS for x in s),
                                               f"must be a non-empty list of {', '.join(STATS)}")] = Field(
        default_factory=lambda: ["p50", "p90"])
    tolerance_pct_by_latency: ToleranceTable = ToleranceTable()  # type: ignore[valid-type]

    def tolerance(self, latency: str) -> float:
        value = getattr(self.tolerance_pct_by_latency, latency, None)
        return self.tolerance_pct if value is None else value


class Gates(Schema):
    """A gates file."""

    latency: LatencyTable = LatencyTable()  # type: ignore[valid-type]
    recovery: Recovery = Recovery()
    failures: Failures = Failures()
    soak_limits: Soak = Field(default=Soak(), alias="soak")
    baseline: BaselinePolicy = BaselinePolicy()
    _source: str = PrivateAttr(default="<gates>")

    @property
    def source(self) -> str:
        return self._source

    def latency_limits(self) -> dict[str, dict[str, float]]:
        """``{latency: {stat: limit ms}}`` for every stat gated."""
        out = {}
        for name in LATENCIES:
            limits = getattr(self.latency, name)
            if limits is not None:
                out[name] = limits.model_dump(exclude_none=True)
        return out

    @property
    def soak(self) -> dict[str, float]:
        """``{metric: limit of growth per 100 calls}`` for every soak metric gated."""
        return {SOAK_GATES[key]: value for key, value in self.soak_limits.model_dump(exclude_none=True).items()}

    @property
    def recovery_max_ms(self) -> float | None:
        return self.recovery.max_ms

    @property
    def product_failures(self) -> int | None:
        return None if self.failures.product is None else int(self.failures.product)

    @property
    def lab_errors(self) -> int | None:
        return None if self.failures.lab_error is None else int(self.failures.lab_error)


def parse_gates(data: Any, source: str) -> Gates:
    gates = validate(data, Gates, source, GatesError)
    gates._source = source
    return gates


def load_gates(path: str | Path) -> Gates:
    return parse_gates(read_toml(path, GatesError, key="-"), str(path))


def load_baseline_policy(path: str | Path | None) -> BaselinePolicy:
    """The ``[baseline]`` table of a gates file, or the defaults (20 %, 20 ms, p50 and p90) without one."""
    return load_gates(path).baseline if path is not None else BaselinePolicy()
