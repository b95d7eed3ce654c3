"""The report's data model: what a run did, computed from call records, apart from any rendering.

Like pytest-html (data, then templates), every renderer — the pytest-html summary and extras, the standalone
page of ``wmpf-hil report``, the gates — reads one :class:`RunReport`, so the figures a gate judges are the
figures the report shows. Percentiles are nearest-rank (:mod:`harness.results.stats`): each one is a latency some call
really had, so it carries that call's error bound and a pointer to the call.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.results import figures
from harness.results.labels import HOST_KEY, SHARD_KEY, attempt_of, build_of, label_of
from harness.results.load import LoadedRecord, incomplete_reasons, run_kinds
from harness.results.records import DEVICE_KEY, EVIDENCE_KEY, LATENCIES, CallRecord, Outcome
from harness.results.stats import PERCENTILES, percentile

# The waterfall's steps, in call order: (event name in CallRecord.events, label).
WATERFALL: tuple[tuple[str, str], ...] = (
    (figures.PLACED, "push"),
    (figures.PUSH_RECEIVED, "push received"),
    (figures.RING, "ring"),
    (figures.TAP_HOST, "answer tap"),
    (figures.ANSWERED, "answer"),
    (figures.CONNECTED, "connected"),
    ("media", "media"),  # derived: answered + answer_to_media
    ("hung_up", "hang up"),
    (figures.ENDED, "end"),
)


@dataclass(frozen=True)
class Percentile:
    """One percentile of a latency: the value, its error bound, and which call had it."""

    ms: float
    bound_ms: float
    call: str


@dataclass
class LatencyStats:
    name: str
    samples: list[float]  # sorted, passed calls only
    percentiles: dict[int, Percentile]
    max_ms: float
    max_bound_ms: float  # the widest error bound of any sample

    @property
    def n(self) -> int:
        return len(self.samples)

    def value(self, stat: str) -> float:
        """``p50``/``p90``/``p99``/``max`` in ms (what gates and baselines compare)."""
        if stat == "max":
            return self.max_ms
        return self.percentiles[int(stat.removeprefix("p"))].ms


@dataclass(frozen=True)
class Step:
    """One waterfall point: ms after the call was placed (host timeline), with its bound."""

    name: str
    label: str
    at_ms: float
    bound_ms: float


@dataclass
class Evidence:
    """What the report can show beside a call; paths are resolved against the results file's directory."""

    ring_screenshot: Path | None = None
    failure_screenshot: Path | None = None
    logcat: list[str] = field(default_factory=list)  # lines around a failure (already redacted)
    pcap: Path | None = None
    capture: dict[str, Any] = field(default_factory=dict)  # harness.capture CaptureResult.to_dict()
    media: dict[str, Any] = field(default_factory=dict)  # harness.analysis MediaAnalysis.to_dict()
    notes: list[str] = field(default_factory=list)  # why some evidence is missing


@dataclass
class CallView:
    record: CallRecord
    base_dir: Path
    steps: list[Step]
    evidence: Evidence

    @property
    def call_id(self) -> str:
        r = self.record
        shard = label_of(r, SHARD_KEY)  # merged farm runs: serials and call numbers repeat across shards
        return f"{shard + '/' if shard else ''}{r.worker + ':' if r.worker else ''}{r.serial}#{r.call_index}"

    @property
    def attempt(self) -> int:
        return attempt_of(self.record)

    @property
    def expected_failure(self) -> bool:
        return self.record.expected_failure

    @property
    def outcome_stage(self) -> str:
        r = self.record
        return r.outcome.value + (f" at {r.stage.value}" if r.stage else "") + \
            (f" (attempt {self.attempt})" if self.attempt > 1 else "")


@dataclass
class DeviceInfo:
    serial: str
    model: str
    calls: int = 0
    details: dict[str, str] = field(default_factory=dict)  # android, wmpf_version, manufacturer, ...


@dataclass
class RunReport:
    title: str
    sources: list[str]
    calls: list[CallView]
    latencies: dict[str, LatencyStats]
    devices: list[DeviceInfo]
    incomplete: list[str] = field(default_factory=list)  # why the run is INCOMPLETE (empty: nothing missing)
    kinds: list[str] = field(default_factory=list)  # "simulated at time scale 0.1", "hardware"

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(v.record.outcome.value for v in self.calls)

    @property
    def passed(self) -> int:
        return self.outcomes.get(Outcome.PASSED.value, 0)

    @property
    def failed(self) -> int:
        return self.outcomes.get(Outcome.FAILED.value, 0)

    @property
    def lab_errors(self) -> int:
        return self.outcomes.get(Outcome.LAB_ERROR.value, 0)

    @property
    def expected_failures(self) -> int:
        """Calls that failed exactly at the stage their scenario marked (``call.call(expect_failure=...)``): they
        prove a failure is caught and are not product failures. Every other call of the scenario counts."""
        return sum(1 for v in self.calls if v.expected_failure)

    @property
    def product_failures(self) -> int:
        return self.failed - self.expected_failures

    @property
    def stages(self) -> Counter[str]:
        return Counter(v.record.stage.value for v in self.calls if v.record.stage and not v.expected_failure)

    @property
    def shards(self) -> list[tuple[str, str, int]]:
        """(shard, host, calls) of a farm run; empty for a run of one host without labels."""
        counts = Counter((label_of(v.record, SHARD_KEY) or "", label_of(v.record, HOST_KEY) or "") for v in self.calls)
        return [(shard, host, n) for (shard, host), n in sorted(counts.items()) if shard or host]

    @property
    def retried(self) -> list[CallView]:
        """Attempts that ended in a lab error and were run again (--lab-reruns): kept, shown as retried."""
        later = {(v.record.test_id, label_of(v.record, SHARD_KEY), v.attempt) for v in self.calls}
        return [v for v in self.calls if v.record.outcome is Outcome.LAB_ERROR
                and (v.record.test_id, label_of(v.record, SHARD_KEY), v.attempt + 1) in later]

    @property
    def flaky(self) -> list[tuple[str, str, str]]:
        """(scenario, model, build) that both passed and failed (a product failure) in this run."""
        seen: dict[tuple[str, str, str], set[str]] = {}
        for v in self.calls:
            if v.expected_failure or v.record.outcome is Outcome.LAB_ERROR:
                continue
            key = (v.record.test_id or v.record.scenario, v.record.model, build_of(v.record))
            seen.setdefault(key, set()).add(v.record.outcome.value)
        return sorted(k for k, outcomes in seen.items() if {Outcome.PASSED.value, Outcome.FAILED.value} <= outcomes)

    @property
    def offset_bound_ms(self) -> float | None:
        bounds = [v.record.offset_bound_ms for v in self.calls if v.record.offset_bound_ms is not None]
        return max(bounds) if bounds else None


# -- building ------------------------------------------------------------------------------------------------
def latency_stats(views: list[CallView]) -> dict[str, LatencyStats]:
    """Nearest-rank percentiles of every latency over the passed calls (as the terminal summary counts them)."""
    samples: dict[str, list[tuple[float, float, str]]] = {}
    for view in views:
        if view.record.outcome is not Outcome.PASSED:
            continue
        for name, fig in view.record.latencies.items():
            samples.setdefault(name, []).append((fig.ms, fig.bound_ms, view.call_id))
    out: dict[str, LatencyStats] = {}
    for name in LATENCIES:
        rows = sorted(samples.get(name, ()))
        if not rows:
            continue
        pcts = {p: Percentile(*percentile(rows, p)) for p in PERCENTILES}
        out[name] = LatencyStats(name, [r[0] for r in rows], pcts, rows[-1][0], max(r[1] for r in rows))
    return out


def waterfall(record: CallRecord) -> list[Step]:
    """The call's steps on the host timeline, from the moment it was placed (or its first event)."""
    events = record.events
    if not events:
        return []
    origin = events[figures.PLACED].host_ms if figures.PLACED in events else min(e.host_ms for e in events.values())
    steps: list[Step] = []
    for name, label in WATERFALL:
        if name == "media":
            answered, fig = events.get(figures.ANSWERED), record.latencies.get("answer_to_media")
            if answered is not None and fig is not None:
                steps.append(Step(name, label, answered.host_ms + fig.ms - origin, answered.bound_ms + fig.bound_ms))
            continue
        stamp = events.get(name)
        if stamp is not None:
            steps.append(Step(name, label, stamp.host_ms - origin, stamp.bound_ms))
    return sorted(steps, key=lambda s: s.at_ms)


def _path(value: object, base_dir: Path) -> Path | None:
    if not value or not isinstance(value, str):
        return None
    path = Path(value)
    if path.is_absolute():
        return path
    beside = base_dir / path
    return beside if beside.exists() or not path.exists() else path.resolve()


def evidence_of(record: CallRecord, base_dir: Path) -> Evidence:
    raw = record.extra.get(EVIDENCE_KEY) or {}
    capture = record.extra.get("capture") or {}
    ev = Evidence(ring_screenshot=_path(raw.get("ring_screenshot"), base_dir),
                  failure_screenshot=_path(raw.get("failure_screenshot"), base_dir),
                  logcat=[str(line) for line in raw.get("logcat") or ()],
                  pcap=_path(capture.get("path"), base_dir) if capture.get("available") else None,
                  capture=dict(capture), media=dict(record.extra.get("media") or {}),
                  notes=[str(n) for n in raw.get("notes") or ()])
    return ev


def devices_of(views: list[CallView]) -> list[DeviceInfo]:
    by_serial: dict[str, DeviceInfo] = {}
    for view in views:
        r = view.record
        info = by_serial.setdefault(r.serial, DeviceInfo(r.serial, r.model))
        info.calls += 1
        info.model = info.model or r.model
        for key, value in (r.extra.get(DEVICE_KEY) or {}).items():
            if value not in (None, ""):
                info.details.setdefault(str(key), str(value))
    return sorted(by_serial.values(), key=lambda d: d.serial)


def build_report(loaded: list[LoadedRecord], *, title: str = "wmpf-hil run", sources: list[str] | None = None,
                 run_dirs: list[Path] | None = None) -> RunReport:
    """The report of ``loaded``; ``run_dirs`` (default: the results files' directories) are read for their
    ``run.json`` — an interrupted or cut-short run is INCOMPLETE."""
    views = [CallView(lr.record, lr.base_dir, waterfall(lr.record), evidence_of(lr.record, lr.base_dir))
             for lr in loaded]
    return RunReport(title=title, sources=list(sources or []), calls=views, latencies=latency_stats(views),
                     devices=devices_of(views), incomplete=incomplete_reasons(loaded, run_dirs),
                     kinds=run_kinds(loaded))


def report_from_records(records: list[CallRecord], base_dir: Path | str = ".", **kwargs: Any) -> RunReport:
    """A report from records in memory (the pytest session, tests, benchmarks)."""
    base = Path(base_dir).resolve()
    kwargs.setdefault("run_dirs", [])  # records in memory: only what they show themselves, no run.json read
    return build_report([LoadedRecord(r, base) for r in records], **kwargs)
