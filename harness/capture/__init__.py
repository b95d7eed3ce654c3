"""Per-call network captures: on the device (su 0 tcpdump via adb exec-out) or on a host interface.

See :mod:`harness.capture.service` (the lifecycle) and :mod:`harness.capture.per_call` (what the call
driver holds for one call).
"""

from harness.capture.errors import CaptureUnavailable
from harness.capture.per_call import CallCapture, call_id_for, finish_capture
from harness.capture.service import CaptureResult, CaptureService
from harness.config.capture import CaptureConfig, capture_config, parse_capture

__all__ = ["CallCapture", "CaptureConfig", "CaptureResult", "CaptureService", "CaptureUnavailable", "call_id_for",
           "capture_config", "finish_capture", "parse_capture"]
