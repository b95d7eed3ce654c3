"""Out-of-band faults through the phone API's ``/control`` endpoints: the simulator's, or a lab's fault bot.

A lab breaks a device the way the field does (WMPF killed, its lifecycle listener gone, pushes lost) from
outside the device, so the device's own behaviour is what gets tested. The simulated phone exposes
``POST /control/faults {"sn", "fault", "value"}`` and ``POST /control/push {"sn", "msg"}``; a lab with
hardware can put the same endpoints in front of its own tooling. Conditions set here are put back to their
previous values by :meth:`LabFaults.restore`, so one scenario's fault never leaks into the next.
"""

from __future__ import annotations

import logging
from typing import Any

from harness.callers.phone import Phone, PhoneApiError
from harness.errors import LabError

log = logging.getLogger("harness.callers.lab_faults")


class FaultsUnavailable(LabError):
    """The phone API has no ``/control/faults`` endpoint (a plain phone bot): fault scenarios cannot run."""


class LabFaults:
    def __init__(self, phone: Phone, sn: str) -> None:
        self.phone = phone
        self.sn = sn
        self._saved: dict[str, Any] = {}

    def conditions(self) -> dict[str, Any]:
        """The device's current fault conditions; :class:`FaultsUnavailable` if there is no endpoint."""
        try:
            state = self.phone.request("GET", f"/control/faults?sn={self.sn}")
        except PhoneApiError as exc:
            raise FaultsUnavailable(f"the phone API at {self.phone.base_url} has no usable /control/faults "
                                    f"endpoint ({exc}); fault scenarios need the simulator or a lab fault "
                                    f"injector") from None
        if not isinstance(state, dict):
            raise FaultsUnavailable(f"GET /control/faults at {self.phone.base_url} answered {state!r}")
        found = state.get(self.sn, state)
        return dict(found) if isinstance(found, dict) else {}

    def available(self) -> bool:
        try:
            self.conditions()
        except (FaultsUnavailable, LabError):
            return False
        return True

    def set(self, fault: str, value: Any = True) -> dict[str, Any]:
        """Set a condition (remembered for :meth:`restore`) or run an action (``kill_wmpf``, ``drop_adb``...)."""
        if fault not in self._saved:
            current = self.conditions()
            if fault in current:
                self._saved[fault] = current[fault]
        log.info("fault on %s: %s = %r", self.sn, fault, value)
        return self.phone.fault(self.sn, fault, value)

    def action(self, name: str) -> dict[str, Any]:
        return self.phone.fault(self.sn, name)

    def push(self, message: str) -> Any:
        """Push any text through the device's WMPF push channel (malformed-push scenarios)."""
        return self.phone.push(self.sn, message)

    def restore(self) -> None:
        saved, self._saved = self._saved, {}
        for fault, value in saved.items():
            try:
                self.phone.fault(self.sn, fault, value)
            except (PhoneApiError, LabError) as exc:
                log.warning("could not restore fault %s=%r on %s: %s", fault, value, self.sn, exc)
