"""Synthetic call records built through the real model, for report tests, gate tests and the report benchmark.

Records are made the way the call driver makes them — :class:`~harness.results.records.EventStamp` s added to a
:class:`~harness.results.records.CallRecord`, latencies computed by :func:`harness.results.figures.latencies` — so
a change to the record model breaks these fixtures instead of leaving hand-written dicts that drift from the real
thing. Screenshots are drawn with Pillow at a phone's resolution (an incoming-call screen), so report sizes are
honest."""

from __future__ import annotations

import random
from pathlib import Path

from harness.results import figures
from harness.results.records import DEVICE_KEY, EVIDENCE_KEY, CallRecord, EventStamp, Stage
from harness.results.writer import ResultsWriter

# Typical simulator figures (ms) at time scale 1: (mean, spread) of each step after the previous one.
STEPS: tuple[tuple[str, str, float, float], ...] = (
    (figures.PUSH_RECEIVED, "logcat", 180.0, 40.0),
    (figures.RING, "logcat", 420.0, 90.0),
    (figures.TAP_HOST, "host", 160.0, 30.0),
    (figures.ANSWERED, "logcat", 35.0, 8.0),
    (figures.CONNECTED, "logcat", 900.0, 150.0),
    ("hung_up", "logcat", 2000.0, 10.0),
    (figures.ENDED, "logcat", 60.0, 10.0),
)


def screenshot_png(path: Path, caption: str = "Incoming video call", size: tuple[int, int] = (720, 1280)) -> Path:
    """An incoming-call screen (dark background, caller avatar, answer/decline buttons) as a PNG file."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (28, 32, 40))
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.ellipse((w // 2 - 90, h // 4 - 90, w // 2 + 90, h // 4 + 90), fill=(90, 140, 220))
    draw.text((w // 2 - 80, h // 4 + 120), caption, fill=(240, 240, 240))
    draw.ellipse((w // 4 - 60, h - 260, w // 4 + 60, h - 140), fill=(220, 60, 60))
    draw.ellipse((3 * w // 4 - 60, h - 260, 3 * w // 4 + 60, h - 140), fill=(60, 190, 90))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG")
    return path


def synthetic_record(index: int, *, rng: random.Random, slowdown: float = 1.0, serial: str = "127.0.0.1:29000",
                     model: str = "WMPF Tablet", worker: str | None = None, stage: Stage | None = None,
                     lab_error: bool = False, run_dir: Path | None = None, screenshots: bool = False,
                     start_ms: float = 1.7e12, offset_ms: float = 86_400_000.0) -> CallRecord:
    """Call ``index``: a full answered call, or one that stopped at ``stage`` (or a lab error)."""
    record = CallRecord(scenario="test_answer_by_tap", serial=serial, model=model, call_index=index,
                        room_id=f"wxf830863afde621ebWmpfVoip{int(start_ms) + index}", worker=worker,
                        test_id=f"scenarios/test_answer.py::test_answer_by_tap[{index}]",
                        started_at=(start_ms + index * 10_000) / 1000)
    host = start_ms + index * 10_000.0
    record.add_event(EventStamp(figures.PLACED, host + offset_ms, host, 0.4, source="host"))
    stop_after = {Stage.PUSH_NOT_RECEIVED: figures.PLACED, Stage.NO_RING: figures.PUSH_RECEIVED,
                  Stage.ANSWER_FAILED: figures.TAP_HOST, Stage.NOT_CONNECTED: figures.ANSWERED,
                  Stage.DROPPED: figures.CONNECTED}.get(stage) if stage else None
    for name, source, mean, spread in STEPS:
        if stop_after == figures.PLACED:
            break
        host += max(1.0, rng.gauss(mean, spread)) * slowdown
        bound = 0.6 if source == "host" else 0.3
        record.add_event(EventStamp(name, host + offset_ms, host, bound, source=source))
        if name == stop_after:
            break
    for name, (ms, bound) in figures.latencies(record.events).items():
        record.set_latency(name, ms, bound)
    if figures.CONNECTED in record.events:
        record.set_latency("answer_to_media", max(1.0, rng.gauss(120.0, 25.0)) * slowdown, 1.0)
    record.offset_bound_ms = 0.35
    record.extra[DEVICE_KEY] = {"manufacturer": "WMPF Sim", "android": "11", "wmpf_version": "2.2.1 (2201)"}
    if stage is not None:
        record.fail(stage, f"{stage.value}: synthetic failure of call {index}")
        record.extra[EVIDENCE_KEY] = {"logcat": [f"11-23 19:26:{i:02d}.000  1234  1234 I WMPF    : line {i} of "
                                                 f"call {index}" for i in range(40)]}
    if lab_error:
        record.lab_error("DeviceGoneError: synthetic: the device link dropped")
    if run_dir is not None and screenshots:
        shots = record.extra.setdefault(EVIDENCE_KEY, {})
        rel = f"evidence/{worker or 'main'}_{index:04d}/ring.png"
        screenshot_png(run_dir / rel)
        shots["ring_screenshot"] = rel
        if stage is not None:
            rel = f"evidence/{worker or 'main'}_{index:04d}/failure.png"
            screenshot_png(run_dir / rel, caption=f"failed at {stage.value}")
            shots["failure_screenshot"] = rel
    record.finished_at = record.started_at + 5.0
    return record


def write_run(run_dir: Path, calls: int, *, seed: int = 1, slowdown: float = 1.0, failures: dict[int, Stage] | None
              = None, lab_errors: tuple[int, ...] = (), screenshots: bool = False, worker: str | None = None,
              model: str = "WMPF Tablet", first_index: int = 1) -> Path:
    """A results.jsonl of ``calls`` synthetic calls, written through the real :class:`ResultsWriter`."""
    rng = random.Random(seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    with ResultsWriter.for_run(run_dir) as writer:
        for index in range(first_index, first_index + calls):
            writer.write(synthetic_record(index, rng=rng, slowdown=slowdown, stage=(failures or {}).get(index),
                                          lab_error=index in lab_errors, run_dir=run_dir, screenshots=screenshots,
                                          worker=worker, model=model))
    return writer.path
