"""Shared by the self-check tests and benchmarks: a simulated lab with ground truth, and truth latencies.

The simulator records every event's host monotonic instant (``host_mono_ns``) out of band; its device clock
is ``offset + (1 + drift) × host``, so a device-clock interval is exactly ``Δmono × (1 + drift)`` and a
host interval ``Δmono`` — nanosecond truth, unlike the record's whole-millisecond ``device_ms``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.call.recovery import wait_ready
from harness.call.rig import Rig
from harness.call.timeline import Timeline
from harness.config.app_profile import load_profile
from harness.device.lab import Lab, LabConfig, derive_profile
from harness.device.session import DeviceSession
from harness.results.writer import ResultsWriter

# latency -> (from truth event, to truth event, clock): "host" = host timeline, "device" = device clock
TRUTH_SPANS: dict[str, tuple[str, str, str]] = {
    "push_to_ring": ("call_placed", "ring_shown", "host"),
    "ring_to_answer": ("ring_shown", "answered", "device"),
    "tap_to_answer": ("answer_tapped", "answered", "device"),
    "answer_to_connect": ("answered", "connected", "device"),
    "push_to_connect": ("call_placed", "connected", "host"),
}


@contextmanager
def selfcheck_rig(adb_port: int, adb_path: str, truth_dir: Path, *, base_port: int, offset_s: float = 0.0,
                  drift_ppm: float = 0.0, time_scale: float = 0.2,
                  results: ResultsWriter | None = None) -> Iterator[tuple[Lab, Rig]]:
    """A simulated device (clock offset and drift as given) on an existing adb server, ready for calls."""
    profile = derive_profile(None, {"clock": {"offset_s": offset_s, "drift_ppm": drift_ppm}})
    lab = Lab(LabConfig(adb_port=adb_port, adb_path=adb_path, shared_adb=True, sim_profile=profile,
                        sim_base_port=base_port, sim_time_scale=time_scale, truth_dir=truth_dir)).start()
    try:
        with DeviceSession(lab.serials[0], adb_port=adb_port) as session:
            app = load_profile()
            assert lab.simulator is not None
            rig = Rig(session=session, timeline=Timeline(session, app), profile=app,
                      caller=_bot(lab, session), results=results, time_scale=time_scale)
            wait_ready(rig)
            rig.warm_up()
            yield lab, rig
    finally:
        lab.stop()


def _bot(lab: Lab, session: DeviceSession):  # type: ignore[no-untyped-def]
    from harness.callers.bot import PhoneBotCaller
    from harness.callers.phone import Phone

    assert lab.simulator is not None
    return PhoneBotCaller(Phone(lab.simulator.devices[0].phone or ""), session.prop("ro.serialno"))


def read_truth(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def truth_latencies(truth: list[dict[str, Any]], room: str, drift_ppm: float) -> dict[str, float]:
    """The true latencies (ms) of one room's call, from the simulator's ground truth."""
    first: dict[str, int] = {}
    for rec in truth:
        if rec.get("room_id") == room and rec["event"] not in first:
            first[rec["event"]] = rec["host_mono_ns"]
    out: dict[str, float] = {}
    for name, (a, b, clock) in TRUTH_SPANS.items():
        if a in first and b in first:
            span = (first[b] - first[a]) / 1e6
            out[name] = span * (1 + drift_ppm * 1e-6) if clock == "device" else span
    return out
