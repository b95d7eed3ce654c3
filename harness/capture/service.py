"""The per-device capture service: armed once per device session, one capture per call.

The service follows the session's lifecycle (``session.service(CaptureService, config=..., out_dir=...)``
starts it, closing the session stops whatever is still capturing); inside it, :meth:`begin` and :meth:`end`
bracket one call and leave ``<out_dir>/<call id>.pcap``. A capture that cannot start never stops the call:
:meth:`begin` returns a result saying why (``no_root``, ``no_tcpdump``, ``no_tool``, ``no_permission``,
``no_interface``, ``failed``) and logs a warning, unless the lab configured ``required = true``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.capture.device_tcpdump import DeviceTcpdump
from harness.capture.errors import CaptureUnavailable
from harness.capture.host_dumpcap import HostDumpcap
from harness.config.capture import CaptureConfig
from harness.device.services.base import DeviceLink, DeviceService

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(call_id: str) -> str:
    """A file name for a call id (serials contain ':' and room ids are long)."""
    return _UNSAFE.sub("_", call_id).strip("._")[:120] or "call"


@dataclass
class CaptureResult:
    """One call's capture: where the pcap is, or why there is none."""

    call_id: str
    mode: str
    path: Path | None = None
    available: bool = False
    reason: str | None = None
    message: str | None = None
    bytes: int = 0
    started_at: float | None = None
    stopped_at: float | None = None
    clock: str = "device"  # whose clock stamps the packets: "device" (tcpdump on it) or "host"

    def to_dict(self) -> dict[str, Any]:
        return {"call_id": self.call_id, "mode": self.mode, "path": str(self.path) if self.path else None,
                "available": self.available, "reason": self.reason, "message": self.message, "bytes": self.bytes,
                "started_at": self.started_at, "stopped_at": self.stopped_at, "clock": self.clock}


class CaptureService(DeviceService):
    name = "capture"

    def __init__(self, session: DeviceLink, config: CaptureConfig | None = None,
                 out_dir: str | Path | None = None) -> None:
        super().__init__(session)
        self.config = config or CaptureConfig()
        self.out_dir = Path(out_dir) if out_dir is not None else Path("captures")
        self.current: CaptureResult | None = None
        self._runner: DeviceTcpdump | HostDumpcap | None = None

    def _start(self) -> None:
        if self.config.enabled:
            self.out_dir.mkdir(parents=True, exist_ok=True)

    def _stop(self) -> None:
        self.end()

    @property
    def capturing(self) -> CaptureResult | None:
        """The capture in progress (a call overlapping another on this device shares its traffic)."""
        return self.current if self._runner is not None else None

    # -- one call -----------------------------------------------------------------------------------
    def begin(self, call_id: str) -> CaptureResult:
        """Start capturing for ``call_id``; never raises for an unavailable capture unless ``required``."""
        self.check()
        self.end()
        result = CaptureResult(call_id, self.config.mode, clock="host" if self.config.mode == "host" else "device")
        self.current = result
        if not self.config.enabled:
            result.reason, result.message = "off", "capture is off ([capture] mode = \"off\")"
            return result
        path = self.out_dir / f"{safe_name(call_id)}.pcap"
        runner: DeviceTcpdump | HostDumpcap = (DeviceTcpdump(self.session, self.config, path)
                                               if self.config.mode == "device"
                                               else HostDumpcap(self.config, path, serial=self.serial))
        try:
            runner.start()
        except CaptureUnavailable as exc:
            result.reason, result.message = exc.reason, str(exc)
            self.log.warning("capture for call %s on %s unavailable (%s): %s", call_id, self.serial, exc.reason, exc)
            if self.config.required:
                raise
            return result
        self._runner = runner
        result.path, result.available, result.started_at = path, True, time.time()
        return result

    def end(self) -> CaptureResult | None:
        """Stop the current call's capture (if any) and return its result; safe to call twice."""
        runner, self._runner = self._runner, None
        result = self.current
        if runner is not None:
            runner.stop()
        if result is not None and result.available and result.stopped_at is None:
            result.stopped_at = time.time()
            size = result.path.stat().st_size if result.path is not None and result.path.exists() else 0
            result.bytes = size
            if size < 24:
                result.available = False
                result.reason = "failed"
                result.message = f"the capture file has {size} bytes, not even a pcap header"
        return result
