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
                  drift_ppm: float = 0.0, time_scale: float = 0.2, results: ResultsWriter | None = None,
                  overrides: dict[str, Any] | None = None, app_profile: str | None = None) -> Iterator[tuple[Lab, Rig]]:
    """A simulated device (clock offset and drift as given, other device-profile tables from ``overrides``) on an
    existing adb server, ready for calls, driven by ``app_profile`` (default: the simulator's own)."""
    profile = derive_profile(None, {"clock": {"offset_s": offset_s, "drift_ppm": drift_ppm}, **(overrides or {})})
    lab = Lab(LabConfig(adb_port=adb_port, adb_path=adb_path, shared_adb=True, sim_profile=profile,
                        sim_base_port=base_port, sim_time_scale=time_scale, truth_dir=truth_dir)).start()
    try:
        with DeviceSession(lab.serials[0], adb_port=adb_port) as session:
            app = load_profile(app_profile)
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


# two-device latencies (the phone-app caller): latency -> (from phone truth event, to event, its truth file)
PHONE_SPANS: dict[str, tuple[str, str, str]] = {
    "push_to_ring": ("tap_call", "ring_shown", "device"),  # the tap on the phone -> the ring on the device
    "tap_to_call_sent": ("tap_call", "call_page_calling", "phone"),  # the phone's own share
    "call_sent_to_ring": ("call_page_calling", "ring_shown", "device"),  # spans both devices
    "push_to_connect": ("tap_call", "connected", "device"),
}


@contextmanager
def phone_selfcheck_rig(adb_port: int, adb_path: str, truth_dir: Path, *, base_port: int, device_clock: tuple[float,
                        float] = (0.0, 0.0), phone_clock: tuple[float, float] = (0.0, 0.0), time_scale: float = 0.2,
                        results: ResultsWriter | None = None) -> Iterator[tuple[Lab, Rig]]:
    """A simulated device and a simulated phone (each with its own clock offset and drift), the phone-app caller
    calling the device through the simulator's caller profile, exactly as a run does."""
    from harness.call.caller_setup import CallerOptions, build_caller, build_faults, choose, for_lab
    from harness.config.locations import FIXTURES_DIR

    profile = derive_profile(None, {"clock": {"offset_s": device_clock[0], "drift_ppm": device_clock[1]}})
    phone = derive_profile(FIXTURES_DIR / "devices" / "wechat-phone.toml",
                           {"clock": {"offset_s": phone_clock[0], "drift_ppm": phone_clock[1]}})
    lab = Lab(LabConfig(adb_port=adb_port, adb_path=adb_path, shared_adb=True, sim_profile=profile,
                        sim_base_port=base_port, sim_time_scale=time_scale, truth_dir=truth_dir, sim_phones=1,
                        sim_phone_profile=phone)).start()
    try:
        with DeviceSession(lab.serials[0], adb_port=adb_port) as session:
            app = load_profile()
            rig = Rig(session=session, timeline=Timeline(session, app), profile=app, results=results,
                      time_scale=time_scale)
            wait_ready(rig)
            choice = for_lab(choose(CallerOptions(kind="phone_app"), app, simulated=True), lab)
            rig.caller = build_caller(choice, lab, session, app)
            rig.faults = build_faults(choice, rig.sn)
            try:
                rig.warm_up()
                yield lab, rig
            finally:
                rig.caller.close()
    finally:
        lab.stop()


def phone_truth_latencies(device: list[dict[str, Any]], phone: list[dict[str, Any]], room: str) -> dict[str, float]:
    """The true two-device latencies (ms, host timeline) of one room's call, from both truth files."""
    first: dict[tuple[str, str], int] = {}
    for side, records in (("device", device), ("phone", phone)):
        for rec in records:
            if rec.get("room_id") == room:
                first.setdefault((side, rec["event"]), rec["host_mono_ns"])
    out: dict[str, float] = {}
    for name, (a, b, side) in PHONE_SPANS.items():
        if ("phone", a) in first and (side, b) in first:
            out[name] = (first[(side, b)] - first[("phone", a)]) / 1e6
    return out
