"""Putting a call's media analysis into its :class:`~harness.results.records.CallRecord`.

``answer_to_media`` is the first RTP packet minus the answer. Both ends are on the same clock when the
capture was taken on the device (tcpdump stamps with the device clock, logcat too), so the bound is the log
resolution plus drift over the span; a host-side capture is on the host clock, so the answer's host mapping
(and its bound) is used instead. A capture without media fails a *passed* call at ``no_media`` or
``one_way_media``; an earlier failure or a lab error keeps its own verdict (``CallRecord.fail``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.results.records import Stage

if TYPE_CHECKING:
    from harness.analysis.media import MediaAnalysis
    from harness.results.records import CallRecord

LOG_RESOLUTION_MS = 1.0  # logcat's millisecond stamps
DRIFT_BOUND = 200e-6  # the drift the clock model tolerates (200 ppm)
ANSWER_EVENTS = ("answered", "connected")


def answer_to_media_ms(analysis: MediaAnalysis, record: CallRecord, *, clock: str = "device"
                       ) -> tuple[float, float] | None:
    """(ms, bound_ms) from the answer to the first media packet, or None without either."""
    first = analysis.first_media
    stamp = next((record.events[name] for name in ANSWER_EVENTS if name in record.events), None)
    if first is None or stamp is None:
        return None
    if clock == "device":
        ms = first * 1000.0 - stamp.device_ms
        return ms, LOG_RESOLUTION_MS + abs(ms) * DRIFT_BOUND
    ms = first * 1000.0 - stamp.host_ms
    return ms, stamp.bound_ms + LOG_RESOLUTION_MS


def apply_analysis(analysis: MediaAnalysis, record: CallRecord, *, clock: str = "device",
                   judge: bool = True) -> None:
    """Store the summary under ``record.extra["media"]``, set ``answer_to_media`` and, if ``judge``, fail the
    call when media did not flow both ways."""
    record.extra["media"] = analysis.to_dict()
    latency = answer_to_media_ms(analysis, record, clock=clock)
    if latency is not None:
        record.set_latency("answer_to_media", *latency)
    if judge and analysis.stage is not None:
        stage = Stage.NO_MEDIA if analysis.stage == "no_media" else Stage.ONE_WAY_MEDIA
        record.fail(stage, f"media: {analysis.reason}")
