"""One field condition: set up before a call, a step after the push was sent (if any), undone after.

Everything goes through ``adb shell`` on the rig's session, so the same condition runs on a real device
and on the simulated one; durations (Wi-Fi off for 8 s, idle for 2 h) are device time, shrunk by the rig's
time scale exactly as its bounds are (1.0 on hardware).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from harness.errors import LabError

if TYPE_CHECKING:
    from harness.call.rig import Rig
    from harness.results.records import CallRecord


class ConditionError(LabError):
    """A condition could not be set up or undone on the device (the command's output says why)."""


class Condition:
    """Base: no-op hooks; subclasses override what they need. ``name`` goes into ``record.extra["condition"]``."""

    name = "baseline"
    summary = "no condition: the device as it is"

    def __init__(self, **params: Any) -> None:
        self.params = params
        self.facts: dict[str, Any] = {}  # measured while set up; copied into the record's extra

    def setup(self, rig: Rig) -> None:
        """Put the device in the condition (before the call is placed)."""

    def after_place(self, rig: Rig) -> None:
        """The push is on its way (e.g. bring Wi-Fi back)."""

    def on_ring(self, record: CallRecord) -> None:
        """The call rang (its ``ring`` event is stamped): measure against it (e.g. boot_completed → ring)."""

    def teardown(self, rig: Rig) -> None:
        """Undo everything setup did; must not fail when setup stopped half way."""

    def annotate(self, record: CallRecord) -> None:
        """Name the condition in the call's record; ``condition_facts`` is the live dict of what was measured
        (facts added later, while the call runs, are in the record when it is written)."""
        record.extra["condition"] = self.name
        record.extra["condition_facts"] = self.facts

    # -- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def shell(rig: Rig, command: str, *, check: bool = True, timeout: float = 20) -> str:
        result = rig.session.device.shell2(command, timeout=timeout)
        if check and result.returncode != 0:
            raise ConditionError(f"{command!r} failed on {rig.serial} (exit {result.returncode}): "
                                 f"{result.output.strip()[:300]}")
        return str(result.output)

    @staticmethod
    def device_sleep(rig: Rig, device_s: float) -> None:
        """Wait ``device_s`` seconds of device time (scaled on the simulator, real on hardware)."""
        time.sleep(device_s * min(1.0, rig.time_scale))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params})"
