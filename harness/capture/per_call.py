"""One call's capture, from its start to its summary in the call record: what the call driver holds per call.

The call driver only says when (``CallCapture.begin`` before placing, ``finish`` before the record is
written); everything about pcaps — sharing one with a call already capturing, the ``required`` policy,
analysis, paths relative to the run directory — stays in the capture layer::

    capture = CallCapture.begin(session, config, run_dir / "captures", record)   # None: not capturing
    ...
    capture.finish(record, judge=...)   # stop, analyse, fill record.extra["capture"/"media"], latency, stage
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import adbutils

from harness.analysis.media import MIN_PACKETS, analyze_pcap
from harness.analysis.record import apply_analysis
from harness.analysis.tshark import TsharkError
from harness.capture.service import CaptureResult, CaptureService
from harness.errors import LabError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from harness.config.capture import CaptureConfig
    from harness.device.session import DeviceSession
    from harness.results.records import CallRecord

log = logging.getLogger("harness.capture")


def call_id_for(record: CallRecord) -> str:
    """``<worker>_<index>_<serial>``: unique within a run (xdist workers share its captures/) and readable."""
    return f"{record.worker or 'main'}_{record.call_index:04d}_{record.serial}"


def finish_capture(service: CaptureService | None, record: CallRecord, *, analyze: bool = True,
                   judge: bool | None = None, media_format: str = "udp",
                   min_packets: int = MIN_PACKETS) -> CaptureResult | None:
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
        analysis = analyze_pcap(result.path, device_ip=service.config.device_ip, media_format=media_format,
                                min_packets=min_packets)
    except TsharkError as exc:
        record.extra["capture"]["analysis_error"] = str(exc)
        log.warning("capture of %s not analysed: %s", result.call_id, exc)
        return result
    connected = "connected" in record.events
    apply_analysis(analysis, record, clock=result.clock, judge=connected if judge is None else judge)
    return result


@dataclass
class CallCapture:
    """The capture a call started; :meth:`finish` puts its outcome into the record (never raising for it)."""

    service: CaptureService
    run_dir: Path
    media_format: str = "udp"
    min_packets: int = MIN_PACKETS

    @classmethod
    def begin(cls, session: DeviceSession, config: CaptureConfig, capture_dir: Path | None,
              record: CallRecord, *, media_format: str = "udp", min_packets: int = MIN_PACKETS,
              rooted: Callable[[], bool] | None = None) -> CallCapture | None:
        """Start ``record``'s pcap when the lab captures; None when it does not, or when another call's pcap
        already holds this one (a call during a call: noted as ``shared``). A capture that cannot start is
        noted and the call runs on; with ``required = true`` that is a :class:`LabError`. A device capture on a
        device without root (``rooted``) is skipped with the reason recorded (capture on the host instead)."""
        if not config.enabled or capture_dir is None:
            return None
        if config.mode == "device" and rooted is not None and not rooted():
            message = ("no root on this device: a device tcpdump is impossible; capture on the host "
                       "([capture] mode = \"host\" with the interface that carries its traffic)")
            if config.required:
                raise LabError(f"capture required but {message}")
            record.extra["capture"] = CaptureResult(call_id_for(record), config.mode, reason="no_root",
                                                    message=message).to_dict()
            return None
        service = session.service(CaptureService, config=config, out_dir=capture_dir)
        running = service.capturing
        if running is not None:
            record.extra["capture"] = CaptureResult(
                call_id_for(record), service.config.mode, reason="shared", clock=running.clock,
                message=f"overlaps call {running.call_id}, whose pcap holds it").to_dict()
            return None
        service.begin(call_id_for(record))
        return cls(service, capture_dir.parent, media_format, min_packets)

    def finish(self, record: CallRecord, *, judge: bool) -> None:
        """Stop and analyse into ``record``; ``judge``: a call without media fails at ``no_media``. A capture or
        analysis that breaks is the evidence failing, not the call: it is noted in the record."""
        try:
            finish_capture(self.service, record, judge=judge, media_format=self.media_format,
                           min_packets=self.min_packets)
            self._relative_paths(record)
        except (LabError, adbutils.AdbError, OSError) as exc:
            record.extra.setdefault("capture", {})["analysis_error"] = f"{type(exc).__name__}: {exc}"
            log.warning("capture of call #%d on %s: %s", record.call_index, record.serial, exc)

    def _relative_paths(self, record: CallRecord) -> None:
        """Name the pcap relative to the run directory, as the other evidence is, so a run directory can be
        moved or archived and its report still links its pcaps."""
        for section, key in (("capture", "path"), ("media", "pcap")):
            table = record.extra.get(section)
            if isinstance(table, dict) and table.get(key):
                table[key] = os.path.relpath(table[key], self.run_dir)
