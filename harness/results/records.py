"""The per-call record: what one call did, how long each step took, and how far to trust each figure.

Kept apart from writing (``results_writer``) and rendering (reports) so that a record can be built, checked
and serialised without touching the disk. Every latency is in milliseconds and carries its own bound: a
figure between two device timestamps is bounded by the drift over its span and the log resolution; a figure
that starts at a host instant (the push) adds the clock offset bound and the host bracket of that instant.
"""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any


class Outcome(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"  # the product misbehaved; ``stage`` says where
    LAB_ERROR = "lab_error"  # the lab broke (device gone, adb down); says nothing about the product


class Stage(str, enum.Enum):
    """Where a failed call stopped, in call order."""

    PUSH_NOT_RECEIVED = "push_not_received"
    NO_RING = "no_ring"
    ANSWER_FAILED = "answer_failed"
    NOT_CONNECTED = "not_connected"
    DROPPED = "dropped"
    NO_MEDIA = "no_media"  # connected, but the capture shows no RTP at all
    ONE_WAY_MEDIA = "one_way_media"  # connected, RTP flowed one way only
    END_NOT_HANDLED = "end_not_handled"


# How far a call got, in call order (CallRecord.reached): what a lab error or a lost call had done by then.
REACHED: tuple[str, ...] = ("started", "placed", "ringing", "answered", "connected", "hanging_up", "ended")
# The record events that mean a call reached a step (figures' names; "hang_up_tap"/"caller_hang_up": the harness).
REACHED_BY_EVENT = {"placed": "placed", "ring_shown": "ringing", "answered": "answered", "connected": "connected",
                    "hang_up_tap": "hanging_up", "caller_hang_up": "hanging_up", "hung_up": "hanging_up",
                    "ended": "ended"}
SIMULATED = "simulated"
HARDWARE = "hardware"
EXPECT_FAILURE_KEY = "expect_failure"  # record.extra: the Stage this call exists to prove is caught

# The latencies a call record knows, in the order a report shows them.
EVIDENCE_KEY = "evidence"  # record.extra[EVIDENCE_KEY]: screenshots and logcat (harness.call.evidence)
DEVICE_KEY = "device"  # record.extra[DEVICE_KEY]: android, wmpf_version, manufacturer... (harness.call.evidence)

LATENCIES: tuple[str, ...] = (
    "push_to_ring",  # call placed (host) -> ring shown (device)
    "ring_to_answer",  # ring shown -> answered (hangOnVoip), both device
    "tap_to_answer",  # the harness's Answer tap landed -> answered: the product's share
    "harness_reaction",  # ring shown -> the harness's tap landed: the harness's share
    "answer_to_connect",  # answered -> connected (startVoip)
    "push_to_connect",  # call placed (host) -> connected (device)
    "tap_to_call_sent",  # the tap on the phone (host) -> the phone logged callWMPF's answer: the phone's share
    "call_sent_to_ring",  # the phone's callWMPF answer -> ring shown: spans two devices (the sum of both bounds)
    "answer_to_media",  # answered -> first RTP packet in the call's capture (harness.analysis)
    "wmpf_recovery",  # WMPF killed -> WMPF back with its listener registered
)


@dataclass
class Figure:
    """One latency: value and the bound of its error, both in milliseconds."""

    ms: float
    bound_ms: float

    def to_dict(self) -> dict[str, float]:
        return {"ms": round(self.ms, 3), "bound_ms": round(self.bound_ms, 3)}


@dataclass
class EventStamp:
    """When a call event happened: on the device clock, and mapped to the host clock (epoch ms)."""

    name: str
    device_ms: float
    host_ms: float
    bound_ms: float
    source: str = "logcat"  # "logcat" (device-stamped) or "host" (a host instant, e.g. the push)

    def to_dict(self) -> dict[str, Any]:
        return {"device_ms": round(self.device_ms, 3), "host_ms": round(self.host_ms, 3),
                "bound_ms": round(self.bound_ms, 3), "source": self.source}


@dataclass
class CallRecord:
    scenario: str
    serial: str
    model: str = ""
    room_id: str | None = None
    outcome: Outcome = Outcome.PASSED
    stage: Stage | None = None
    error: str | None = None
    latencies: dict[str, Figure] = field(default_factory=dict)
    offset_bound_ms: float | None = None
    events: dict[str, EventStamp] = field(default_factory=dict)
    retries: int = 0
    retry_log: list[str] = field(default_factory=list)
    call_index: int = 0
    test_id: str | None = None
    worker: str | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex)  # joins the call's marks and its record
    lab: str | None = None  # "simulated" or "hardware": runs of different kinds are not compared
    time_scale: float | None = None  # the simulator's time scale (1.0 on hardware): figures scale with it
    reached: str = "started"  # the furthest step (REACHED) the call got to

    # -- building -------------------------------------------------------------------------------------
    def add_event(self, stamp: EventStamp) -> EventStamp:
        """Keep the first occurrence of each event name (a later duplicate is a different call's echo)."""
        step = REACHED_BY_EVENT.get(stamp.name)
        if step is not None and REACHED.index(step) > REACHED.index(self.reached):
            self.reached = step
        return self.events.setdefault(stamp.name, stamp)

    @property
    def expected_failure(self) -> bool:
        """Failed exactly where the scenario said this call would (``call.call(expect_failure=Stage.X)``)."""
        expected = self.extra.get(EXPECT_FAILURE_KEY)
        return self.outcome is Outcome.FAILED and expected is not None and self.stage is not None \
            and self.stage.value == expected

    def set_latency(self, name: str, ms: float, bound_ms: float) -> None:
        if name not in LATENCIES:
            raise ValueError(f"unknown latency {name!r}; known: {', '.join(LATENCIES)}")
        self.latencies[name] = Figure(ms, bound_ms)

    def fail(self, stage: Stage, error: str) -> None:
        """Mark the call failed at ``stage`` unless it already failed earlier or hit a lab error."""
        if self.outcome is Outcome.PASSED:
            self.outcome, self.stage, self.error = Outcome.FAILED, stage, error

    def lab_error(self, error: str) -> None:
        """A lab error overrides a product failure: the evidence for that failure is not trustworthy."""
        self.outcome, self.stage, self.error = Outcome.LAB_ERROR, None, error

    def count_retry(self, description: str) -> None:
        self.retries += 1
        self.retry_log.append(description)

    def finish(self) -> CallRecord:
        self.finished_at = time.time()
        return self

    # -- serialising ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        data["stage"] = self.stage.value if self.stage else None
        data["latencies"] = {k: self.latencies[k].to_dict() for k in LATENCIES if k in self.latencies}
        data["latencies_ms"] = {k: round(v.ms, 3) for k, v in data_items(self.latencies)}
        data["events"] = {k: v.to_dict() for k, v in self.events.items()}
        if self.offset_bound_ms is not None:
            data["offset_bound_ms"] = round(self.offset_bound_ms, 3)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        rec = cls(scenario=data["scenario"], serial=data["serial"])
        for key in ("model", "room_id", "error", "offset_bound_ms", "retries", "retry_log", "call_index",
                    "test_id", "worker", "started_at", "finished_at", "extra", "call_id", "lab", "time_scale",
                    "reached"):
            if key in data:
                setattr(rec, key, data[key])
        rec.outcome = Outcome(data.get("outcome", "passed"))
        rec.stage = Stage(data["stage"]) if data.get("stage") else None
        rec.latencies = {k: Figure(v["ms"], v["bound_ms"]) for k, v in data.get("latencies", {}).items()}
        rec.events = {k: EventStamp(k, v["device_ms"], v["host_ms"], v["bound_ms"], v.get("source", "logcat"))
                      for k, v in data.get("events", {}).items()}
        return rec


def data_items(latencies: dict[str, Figure]) -> list[tuple[str, Figure]]:
    return [(k, latencies[k]) for k in LATENCIES if k in latencies]
