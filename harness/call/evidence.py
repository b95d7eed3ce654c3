"""Per-call evidence for the report: screenshots at ring and at failure, the logcat lines around a failure,
and the device's identity — written beside ``results.jsonl`` and named in ``record.extra["evidence"]``.

The morning reader was not in the lab: a failed call needs what the screen showed and what the device logged.
The ring screenshot is taken on a background thread (``adb exec-out screencap -p``) so the harness's Answer tap
is not delayed by it (``ring_to_answer`` measures the product, not the evidence collector). Logcat lines come
from the harness's own logcat history (no device round trip, so they survive a broken link) and are redacted.
Evidence that cannot be collected is noted in the record, never raised: it must not change a call's outcome.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from harness.device.screen import SCREENCAP_TIMEOUT_S, device_details, screencap
from harness.redact import redact_text
from harness.results.records import DEVICE_KEY, EVIDENCE_KEY, Outcome

if TYPE_CHECKING:
    from harness.device.session import DeviceSession
    from harness.results.records import CallRecord

log = logging.getLogger("harness.evidence")

EVIDENCE_DIR = "evidence"
LOGCAT_BEFORE = 60  # lines before the failure (the call's own lines, and a little before it started)
LOGCAT_AFTER = 10  # lines the device logged after the harness gave up


@dataclass(frozen=True)
class CallSubject:
    """What the collector sees of a call: its record, its device, and where its log lines start.

    A narrow view instead of the call itself, so evidence never reaches into the driver (and the driver's
    module does not import this one back)."""

    record: CallRecord
    session: DeviceSession
    mark: int  # the call's logcat mark (lines from here belong to it)
    wmpf_package: str
    host_package: str | None = None  # the host app, whose version the report and the history keep


class CallObserver(Protocol):
    """What the call driver tells a rig's evidence collector (one per rig)."""

    def on_ring(self, call: CallSubject) -> None: ...

    def on_end(self, call: CallSubject) -> None: ...


@dataclass
class EvidenceCollector:
    """Hooks the call driver calls: :meth:`on_ring` when the call rings, :meth:`on_end` before the record is
    written. One per rig (device)."""

    run_dir: Path
    ring_screenshots: bool = True
    failure_screenshots: bool = True
    _device: dict[str, str] | None = field(default=None, repr=False)
    _threads: dict[int, threading.Thread] = field(default_factory=dict, repr=False)

    def for_another_device(self) -> EvidenceCollector:
        """The same settings for another rig (a variant device): its own device details and threads."""
        return EvidenceCollector(self.run_dir, self.ring_screenshots, self.failure_screenshots)

    def call_dir(self, call: CallSubject) -> Path:
        r = call.record
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in r.serial)
        return self.run_dir / EVIDENCE_DIR / f"{r.worker or 'main'}_{r.call_index:04d}_{safe}"

    def _evidence(self, call: CallSubject) -> dict[str, Any]:
        return call.record.extra.setdefault(EVIDENCE_KEY, {})

    def _shoot(self, call: CallSubject, name: str) -> None:
        path = self.call_dir(call) / f"{name}.png"
        try:
            data = screencap(call.session)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self._evidence(call)[f"{name}_screenshot"] = path.relative_to(self.run_dir).as_posix()
        except Exception as exc:  # a missing screenshot is noted, the call goes on
            self._evidence(call).setdefault("notes", []).append(f"no {name} screenshot: {exc}")

    def on_ring(self, call: CallSubject) -> None:
        if not self.ring_screenshots or call.record.call_index in self._threads:
            return
        thread = threading.Thread(target=self._shoot, args=(call, "ring"), daemon=True,
                                  name=f"ring screenshot {call.record.serial}")
        self._threads[call.record.call_index] = thread
        thread.start()

    def on_end(self, call: CallSubject) -> None:
        """Join the ring screenshot; for a failed call add the failure screenshot and logcat lines."""
        thread = self._threads.pop(call.record.call_index, None)
        if thread is not None:
            thread.join(SCREENCAP_TIMEOUT_S)
        record = call.record
        if self._device is None:
            try:
                self._device = device_details(call.session, call.wmpf_package, call.host_package)
            except Exception as exc:
                log.info("device details of %s: %s", record.serial, exc)
                self._device = {}
        if self._device:
            record.extra.setdefault(DEVICE_KEY, dict(self._device))
        if record.outcome is Outcome.PASSED:
            return
        if self.failure_screenshots and record.outcome is Outcome.FAILED:
            self._shoot(call, "failure")  # after a lab error the link is suspect: do not wait on it
        self._evidence(call)["logcat"] = logcat_around(call)

    def close(self) -> None:
        for thread in self._threads.values():
            thread.join(SCREENCAP_TIMEOUT_S)
        self._threads.clear()


def logcat_around(call: CallSubject, before: int = LOGCAT_BEFORE, after: int = LOGCAT_AFTER) -> list[str]:
    """The last ``before`` lines up to now, from a little before the call started, redacted."""
    try:
        logcat = call.session.logcat
        lines = logcat.lines(max(0, call.mark - after))
    except Exception as exc:
        return [f"(no logcat: {exc})"]
    lines = lines[-(before + after):]
    return [redact_text(line.raw or f"{line.priority}/{line.tag}({line.pid}): {line.message}") for line in lines]
