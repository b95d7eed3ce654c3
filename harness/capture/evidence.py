"""After the call: put the capture's summary (and analysis) into the call record.

This is the one call the call driver makes when a call finishes (before the record is written)::

    capture = session.service(CaptureService, config=cfg, out_dir=run_dir / "captures")
    capture.begin(call_id_for(record))      # when the call starts (before placing it)
    ...
    finish_capture(capture, record)         # stop, analyse, fill record.extra["capture"/"media"], latency, stage
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from harness.analysis.media import analyze_pcap
from harness.analysis.record import apply_analysis
from harness.analysis.tshark import TsharkError

if TYPE_CHECKING:
    from harness.capture.service import CaptureResult, CaptureService
    from harness.records import CallRecord

log = logging.getLogger("harness.capture")


def call_id_for(record: CallRecord) -> str:
    """``<worker>_<index>_<serial>``: unique within a run (xdist workers share its captures/) and readable."""
    return f"{record.worker or 'main'}_{record.call_index:04d}_{record.serial}"


def finish_capture(service: CaptureService | None, record: CallRecord, *, analyze: bool = True,
                   judge: bool | None = None) -> CaptureResult | None:
    """Stop the call's capture, note it in ``record.extra["capture"]`` and analyse it into the record.

    ``judge`` (default: only for calls that connected) lets a capture without media fail the call at
    ``no_media``/``one_way_media``. An analysis that cannot run (no tshark) is noted, not raised.
    """
    if service is None:
        return None
    result = service.end()
    if result is None:
        return None
    record.extra["capture"] = result.to_dict()
    if not (analyze and result.available and result.path is not None):
        return result
    try:
        analysis = analyze_pcap(result.path, device_ip=service.config.device_ip)
    except TsharkError as exc:
        record.extra["capture"]["analysis_error"] = str(exc)
        log.warning("capture of %s not analysed: %s", result.call_id, exc)
        return result
    connected = "connected" in record.events
    apply_analysis(analysis, record, clock=result.clock, judge=connected if judge is None else judge)
    return result
