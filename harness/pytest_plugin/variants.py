"""Another kind of device for one scenario, asked for by device profile: another end mode, another vendor.

A real device is configured as it is, so on hardware a scenario runs the configuration its app profile
describes and skips the others. On the simulator a scenario can start a second device of a named device profile
(``fixtures/devices/NAME.toml``), described by the app profile of the same name (``fixtures/apps/NAME.toml``),
on the same adb server and with the same time scale, and drive it through a :class:`~harness.call.rig.Rig` of
its own: same harness code, same results file. A scenario never reconfigures a device to make itself pass;
:meth:`Variants.start` with table overrides remains for fault-free model variations the lab tools use.
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
    from pathlib import Path

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
    def can_start_devices(self) -> bool:
        """Only the embedded simulator starts variant devices (a named device, simulated or not, is as it is)."""
        return self.lab.simulator is not None

    def device(self, name: str, app_profile: str | None = None) -> Rig:
        """A rig on a new simulated device of profile ``name``, driven by the app profile of the same name
        (or ``app_profile``)."""
        from harness.config.app_profile import load_profile
        from harness.config.locations import FIXTURES_DIR

        return self.start({}, load_profile(app_profile or name), base=FIXTURES_DIR / "devices" / f"{name}.toml")

    def start(self, overrides: dict[str, dict[str, Any]], profile: AppProfile | None = None, *,
              base: Path | None = None) -> Rig:
        """A rig on a new simulated device with ``overrides``; the app profile defaults to the session's."""
        overrides = {k: dict(v) for k, v in overrides.items()}
        overrides.setdefault("device", {})["serial_prefix"] = f"WMPFVAR{next(_prefixes)}"
        child = self.lab.variant(overrides, base).start()
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
