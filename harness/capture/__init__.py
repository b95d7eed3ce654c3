"""Per-call network captures: on the device (su 0 tcpdump via adb exec-out) or on a host interface.

See :mod:`harness.capture.service` (the lifecycle) and :mod:`harness.capture.evidence` (what the call
driver calls when a call ends).
"""

from harness.capture.config import CaptureConfig, capture_config, parse_capture
from harness.capture.errors import CaptureUnavailable
from harness.capture.evidence import call_id_for, finish_capture
from harness.capture.service import CaptureResult, CaptureService

__all__ = ["CaptureConfig", "CaptureResult", "CaptureService", "CaptureUnavailable", "call_id_for", "capture_config",
           "finish_capture", "parse_capture"]
