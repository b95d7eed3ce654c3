"""A rig: everything the harness holds to drive calls on one device under one app profile.

The device session (logcat stream, clock sync, uiautomator2), its typed timeline, the app profile, the caller
(:mod:`harness.callers`: a phone running WeChat, a phone bot or a broadcast) and the lab's fault injector (when
there is one), the run's results writer and the UI actions. The ``call`` fixture builds one for the
device under test; scenarios that need a differently configured simulated device build another
(:mod:`harness.pytest_plugin.variants`). Bounds come from the profile; on the simulator they shrink with its time
scale, because the device's timers do (a scenario expecting the 60 s ring timeout must not wait real minutes)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.config.capture import CaptureConfig
from harness.device.retry import LabRetry
from harness.device.ui import UiActions

if TYPE_CHECKING:
    from pathlib import Path

    from harness.call.evidence import CallObserver
    from harness.call.timeline import Timeline
    from harness.callers.base import Caller
    from harness.callers.lab_faults import LabFaults
    from harness.config.app_profile import AppProfile
    from harness.device.session import DeviceSession
    from harness.results.records import CallRecord
    from harness.results.writer import ResultsWriter

log = logging.getLogger("harness.call.rig")
MIN_SCALED_BOUND_S = 1.0
# One call numbering per process (per xdist worker): rigs on variant devices that reuse a port (and so a serial)
# must not reuse a number, or their pcaps and evidence would overwrite each other's.
_CALL_NUMBERS = itertools.count(1)


@dataclass
class Rig:
    session: DeviceSession
    timeline: Timeline
    profile: AppProfile
    caller: Caller | None = None
    faults: LabFaults | None = None  # the lab-faults interface, capabilities probed at build
    results: ResultsWriter | None = None
    time_scale: float = 1.0  # the simulator's --sim-time-scale; 1.0 on hardware
    lab_kind: str = "simulated"  # "simulated" or "hardware", on every record (runs of different kinds differ)
    on_record: Callable[[CallRecord], None] | None = None
    worker: str | None = None
    evidence: CallObserver | None = None  # screenshots/logcat for the report (harness.call.evidence)
    capture: CaptureConfig = field(default_factory=CaptureConfig)  # per-call network capture (off by default)
    capture_dir: Path | None = None  # where each call's pcap goes (the run's captures/); None: no capture
    lab_retry: LabRetry = field(default_factory=lambda: LabRetry(budget_s=30.0))
    lost: str | None = None  # why the device was quarantined (None: in service)
    _ui: UiActions | None = field(default=None, repr=False)

    @property
    def serial(self) -> str:
        return self.session.serial

    @property
    def sn(self) -> str:
        """The device SN (``ro.serialno``): what the WeChat backend and the push's listenerId name."""
        return self.session.prop("ro.serialno")

    @property
    def model(self) -> str:
        return self.session.model

    @property
    def ui(self) -> UiActions:
        if self._ui is None:
            self._ui = UiActions(self.session, self.lab_retry)
        return self._ui

    def quarantine(self, reason: str) -> None:
        """Take the device out of service for the rest of the run (once; one warning line)."""
        if self.lost is not None:
            return
        self.lost = reason
        log.warning("device %s lost, quarantined for the rest of the run: %s", self.serial, reason)

    def warm_up(self) -> Rig:
        """Start what the first call would otherwise pay for: uiautomator2's server (seconds on a phone)."""
        self.session.u2.info  # noqa: B018 - one round trip starts and proves the server
        self.session.clock.estimate()
        return self

    def next_index(self) -> int:
        """The next call number of this process (unique across its rigs)."""
        return next(_CALL_NUMBERS)

    def bound(self, name: str) -> float:
        """The profile's bound in seconds, scaled with the simulator's timers (never below 1 s or itself)."""
        raw = self.profile.bound(name)
        if self.time_scale >= 1.0:
            return raw
        return max(raw * self.time_scale, min(raw, MIN_SCALED_BOUND_S))

    def hold_s(self) -> float:
        """How long a connected call is held: the profile's ``hold``, scaled like the device's timers."""
        return self.profile.bound("hold") * min(1.0, self.time_scale)
