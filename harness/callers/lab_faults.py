"""The lab-faults interface: what a lab (or the simulator) can break or arrange from outside the device.

A lab breaks a device the way the field does (WMPF killed, its lifecycle listener gone, pushes lost) and can
make the caller misbehave (never join the room, hang up after N s), from outside the device, so the device's
own behaviour is what gets tested. The interface is HTTP on the phone bot API's base URL:
``POST /control/faults {"sn", "fault", "value"}``, ``POST /control/push {"sn", "msg"}`` and
``POST /control/caller {"sn", "callerJoins", "hangUpAfterS", "cancelAfterS"}`` (docs/phone-bot-api.md). The
simulator serves all three; a lab puts what it has in front of its own tooling. What is there is probed once,
at rig build (:meth:`LabFaults.probe`), and becomes the declared :attr:`capabilities`, so a scenario that needs
faults skips cleanly on a lab without a fault injector. Conditions set here are put back by
:meth:`LabFaults.restore`, so one scenario's fault never leaks into the next.
"""

from __future__ import annotations

import logging
from typing import Any

from harness.callers.base import Capability
from harness.callers.phone import Phone, PhoneApiError
from harness.errors import CapabilityMissing, LabError

log = logging.getLogger("harness.callers.lab_faults")

HOW_TO_GET = ("pass --lab-faults-url URL of a lab fault injector (docs/phone-bot-api.md, /control endpoints), or "
              "run on the simulator")


class FaultsUnavailable(LabError):
    """The lab has no ``/control/faults`` endpoint (a plain phone bot): fault scenarios cannot run."""


class LabFaults:
    def __init__(self, phone: Phone | None, sn: str) -> None:
        self.phone = phone
        self.sn = sn
        self.capabilities: frozenset[Capability] = frozenset()
        self._saved: dict[str, Any] = {}
        self._plan_set = False

    def probe(self) -> LabFaults:
        """Ask once which /control endpoints answer; the answer becomes :attr:`capabilities`."""
        caps: set[Capability] = set()
        if self.phone is not None:
            for capability, path in ((Capability.FAULTS, f"/control/faults?sn={self.sn}"),
                                     (Capability.CALLER_PLAN, f"/control/caller?sn={self.sn}")):
                try:
                    self.phone.request("GET", path)
                except (PhoneApiError, LabError):
                    continue
                caps.add(capability)
            if Capability.FAULTS in caps:
                caps.add(Capability.RAW_PUSH)  # /control/push comes with a fault injector
        self.capabilities = frozenset(caps)
        log.info("lab faults for %s: %s", self.sn, ", ".join(sorted(c.value for c in caps)) or "none")
        return self

    def require(self, capability: Capability) -> Phone:
        if capability not in self.capabilities or self.phone is None:
            raise CapabilityMissing(capability.value, "this lab", HOW_TO_GET, doing=capability.doing)
        return self.phone

    def conditions(self) -> dict[str, Any]:
        """The device's current fault conditions."""
        phone = self.require(Capability.FAULTS)
        try:
            state = phone.request("GET", f"/control/faults?sn={self.sn}")
        except PhoneApiError as exc:
            raise FaultsUnavailable(f"GET /control/faults at {phone.base_url}: {exc}") from None
        if not isinstance(state, dict):
            raise FaultsUnavailable(f"GET /control/faults at {phone.base_url} answered {state!r}")
        found = state.get(self.sn, state)
        return dict(found) if isinstance(found, dict) else {}

    def available(self) -> bool:
        return Capability.FAULTS in self.capabilities

    def set(self, fault: str, value: Any = True) -> dict[str, Any]:
        """Set a condition (remembered for :meth:`restore`) or run an action (``kill_wmpf``, ``drop_adb``...)."""
        phone = self.require(Capability.FAULTS)
        if fault not in self._saved:
            current = self.conditions()
            if fault in current:
                self._saved[fault] = current[fault]
        log.info("fault on %s: %s = %r", self.sn, fault, value)
        return phone.fault(self.sn, fault, value)

    def action(self, name: str) -> dict[str, Any]:
        return self.require(Capability.FAULTS).fault(self.sn, name)

    def push(self, message: str) -> Any:
        """Push any text through the device's WMPF push channel (malformed-push scenarios)."""
        return self.require(Capability.RAW_PUSH).push(self.sn, message)

    def caller_plan(self, *, joins: bool = True, hang_up_after_s: float | None = None,
                    cancel_after_s: float | None = None) -> dict[str, Any]:
        """How the caller behaves in the following calls to this device, whoever places them (restored after)."""
        phone = self.require(Capability.CALLER_PLAN)
        body: dict[str, Any] = {"sn": self.sn, "callerJoins": joins}
        if hang_up_after_s is not None:
            body["hangUpAfterS"] = hang_up_after_s
        if cancel_after_s is not None:
            body["cancelAfterS"] = cancel_after_s
        self._plan_set = True
        log.info("caller plan for %s: %s", self.sn, body)
        return phone.request("POST", "/control/caller", body)

    def restore(self) -> None:
        saved, self._saved = self._saved, {}
        if self.phone is None:
            return
        for fault, value in saved.items():
            try:
                self.phone.fault(self.sn, fault, value)
            except (PhoneApiError, LabError) as exc:
                log.warning("could not restore fault %s=%r on %s: %s", fault, value, self.sn, exc)
        if self._plan_set:
            self._plan_set = False
            try:
                self.phone.request("POST", "/control/caller", {"sn": self.sn})
            except (PhoneApiError, LabError) as exc:
                log.warning("could not reset the caller plan of %s: %s", self.sn, exc)
