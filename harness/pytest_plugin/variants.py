"""Differently configured devices for one scenario: another end mode, the call page opened directly.

A real device is configured as it is, so on hardware a scenario runs the configuration its app profile
describes. On the simulator a scenario can start a second device whose profile is the session's with a few
tables overridden (``{"call": {"end_mode": "exit"}}``), on the same adb server and with the same time scale,
and drive it through a :class:`~harness.call.rig.Rig` of its own: same harness code, same results file.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.call.recovery import wait_ready
from harness.call.rig import Rig
from harness.call.timeline import Timeline
from harness.device.session import DeviceSession

if TYPE_CHECKING:
    from collections.abc import Callable

    from harness.callers.base import Caller
    from harness.callers.lab_faults import LabFaults
    from harness.config.app_profile import AppProfile
    from harness.device.lab import Lab

_prefixes = itertools.count(1)


@dataclass
class VariantDevice:
    """A running variant: its lab (one simulated device on the shared adb server), session and rig."""

    lab: Lab
    session: DeviceSession
    rig: Rig

    def stop(self) -> None:
        if self.rig.caller is not None:
            self.rig.caller.close()
        self.session.close()
        self.lab.stop()


@dataclass
class Variants:
    """Starts variants of the session's simulated device; stops them all at :meth:`close`."""

    lab: Lab
    template: Rig
    # builds the variant's caller like the run's (its own simulated phone, for the phone-app caller)
    make_caller: Callable[[Lab, DeviceSession, AppProfile], tuple[Caller, LabFaults]] | None = None
    started: list[VariantDevice] = field(default_factory=list)

    @property
    def simulated(self) -> bool:
        return self.lab.simulated

    def start(self, overrides: dict[str, dict[str, Any]], profile: AppProfile | None = None) -> Rig:
        """A rig on a new simulated device with ``overrides``; the app profile defaults to the session's."""
        overrides = {k: dict(v) for k, v in overrides.items()}
        overrides.setdefault("device", {})["serial_prefix"] = f"WMPFVAR{next(_prefixes)}"
        child = self.lab.variant(overrides).start()
        session = DeviceSession(child.serials[0], adb_port=child.adb.port)
        try:
            app = profile or self.template.profile
            rig = Rig(session=session, timeline=Timeline(session, app), profile=app, results=self.template.results,
                      time_scale=self.template.time_scale, on_record=self.template.on_record,
                      worker=self.template.worker, capture=self.template.capture,
                      capture_dir=self.template.capture_dir,
                      evidence=self.template.evidence.for_another_device() if self.template.evidence else None)
            wait_ready(rig)
            if self.make_caller is not None:
                rig.caller, rig.faults = self.make_caller(child, session, app)
            rig.warm_up()
        except BaseException:
            session.close()
            child.stop()
            raise
        self.started.append(VariantDevice(child, session, rig))
        return rig

    def close(self) -> None:
        started, self.started = self.started, []
        for variant in reversed(started):
            variant.stop()
