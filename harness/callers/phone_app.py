"""The phone-app caller: a second Android device running WeChat, driven like the device under test.

What a person does (call flow §1): open the device maker's caller Mini Program, choose the device, tap Voice or
Video; the Mini Program calls the VoIP plugin's ``callWMPF`` and shows the plugin's call page. The phone is a
:class:`~harness.device.session.DeviceSession` like the device (adb, uiautomator2, its own streaming logcat
and clock sync), and the taps go through the same :class:`~harness.device.ui.UiActions`, one RPC each, so the
placement instant is the bracketed tap on Voice/Video: ``push_to_ring`` is what the user feels, tap on the
phone → ring on the device. When the caller profile names the phone's log line of the tap, that line (on the
phone's clock, mapped with the phone's own bound) times the tap more tightly than the bracket, as the device's
own ``answer_tapped`` line does for the Answer tap. When it names the phone's callWMPF log line, its instant is
the phone-side share, and the room id comes from it.
Where everything is on screen comes from the caller profile (:mod:`harness.config.caller_profile`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from harness.callers.base import CallerBase, CallRequest, Capability, Placement
from harness.config.caller_profile import CallerProfile, Selector, fill
from harness.device.retry import LabRetry
from harness.device.session import DeviceSession
from harness.device.ui import UiActions, UiElementMissing
from harness.errors import CapabilityMissing, InjectionError, LabError, WaitTimeout

log = logging.getLogger("harness.callers.phone_app")

PHONE_CALL_SENT = "phone_call_sent"  # Placement.phone_events key: the phone logged callWMPF's answer
PHONE_TAP = "phone_tap"  # Placement.phone_events key: the phone logged the tap itself


class CallerSetupError(LabError):
    """The phone cannot be driven as the caller profile says (a selector that matches nothing, am start failing)."""


class PhoneAppCaller(CallerBase):
    name = "phone app"
    how_to_get = ("a person on the phone cannot either; a phone bot can (--caller phone_bot --phone-url URL, "
                  "docs/phone-bot-api.md)")

    def how(self, capability: Capability) -> str:
        if capability is Capability.CONCURRENT_CALLS:
            return "give a second phone (--caller-serial twice) or use a phone bot (--caller phone_bot)"
        if capability is Capability.AUTO_ANSWER:
            return (f"{self.profile.source} has no ui.auto_answer: add the Mini Program's auto-answer switch "
                    f"(fixtures/callers/README.md)")
        return self.how_to_get

    def __init__(self, session: DeviceSession, profile: CallerProfile, *, device_sn: str, device_name: str = "",
                 retry: LabRetry | None = None) -> None:
        self.session = session
        self.profile = profile
        self.values = {"sn": device_sn, "name": device_name or device_sn}
        self.ui = UiActions(session, retry or LabRetry(budget_s=30.0))
        caps = {Capability.CONNECT, Capability.CANCEL, Capability.HANG_UP, Capability.CALL_STATE}
        if profile.ui.auto_answer is not None:
            caps.add(Capability.AUTO_ANSWER)
        self.capabilities = frozenset(caps)
        self._reason = re.compile(profile.patterns.ended_reason) if profile.patterns.ended_reason else None

    @property
    def serial(self) -> str:
        return self.session.serial

    def _sel(self, name: str) -> tuple[Selector, ...]:
        return fill(self.profile.selector(name), **self.values)

    # -- opening the Mini Program ------------------------------------------------------------------------
    def _shell(self, command: str) -> None:
        result = self.session.device.shell2(command, timeout=30)
        if result.returncode != 0 or "Error" in result.output:
            raise CallerSetupError(f"{self.profile.source}: key 'open': {command!r} failed on the phone "
                                   f"{self.serial}: {result.output.strip()[:300]}")

    def _tap(self, name: str, specs: tuple[Selector, ...], key: str) -> Any:
        try:
            return self.ui.tap(name, specs, self.profile.bounds.ui)
        except UiElementMissing:
            raise CallerSetupError(f"{self.profile.source}: key {key!r}: selector {' or '.join(map(str, specs))} "
                                   f"matches nothing on the phone {self.serial}; the phone shows: "
                                   f"{self.screen_summary()}") from None

    def open(self) -> None:
        """The caller Mini Program's device list, from wherever the phone is."""
        opening = self.profile.open
        if opening.am_start is not None:
            self._shell(opening.am_start)
        else:
            self._shell(opening.home)
            for i, spec in enumerate(opening.taps):
                self._tap(f"open step {i + 1}", spec, f"open.taps[{i}]")

    def choose_device(self) -> None:
        self._tap("choose_device", self._sel("choose_device"), "ui.choose_device")

    def check(self) -> None:
        """At rig build: open the Mini Program, find the device and the call buttons (one clear lab error if the
        phone does not show them), then go back to the list."""
        self.open()
        self.choose_device()
        for name in ("voice", "video"):
            specs = self._sel(name)
            wait_s = self.profile.bounds.ui / len(specs)
            if not any(self.session.u2(**spec).wait(timeout=wait_s) for spec in specs):
                raise CallerSetupError(f"{self.profile.source}: key 'ui.{name}': selector "
                                       f"{' or '.join(map(str, specs))} matches nothing on the phone {self.serial}; "
                                       f"the phone shows: {self.screen_summary()}")

    def screen_summary(self, limit: int = 12) -> str:
        """What the phone shows: the focused app and the texts and ids on screen (for error messages)."""
        try:
            import xml.etree.ElementTree as ET

            root = ET.fromstring(self.session.u2.dump_hierarchy())
            items = []
            for node in root.iter("node"):
                text, rid = node.get("text") or "", node.get("resource-id") or ""
                if text or rid:
                    items.append(f"{text!r}" + (f" [{rid}]" if rid else ""))
            app = self.session.device.app_current()
            shown = ", ".join(items[:limit]) + (" ..." if len(items) > limit else "")
            return f"{app.package if app else '?'}: {shown or 'no text'}"
        except Exception as exc:  # the summary only decorates an error; never hide that error
            return f"(could not read the screen: {type(exc).__name__})"

    # -- placing ---------------------------------------------------------------------------------------------
    def _set_auto_answer(self, wanted: bool) -> None:
        if self.profile.ui.auto_answer is None:
            return
        specs = self._sel("auto_answer")
        u2 = self.session.u2
        for spec in specs:
            obj = u2(**spec)
            if obj.exists:
                if bool(obj.info.get("checked")) != wanted:
                    obj.click()
                return
        if wanted:
            raise CallerSetupError(f"{self.profile.source}: key 'ui.auto_answer': selector {specs} matches nothing "
                                   f"on the phone {self.serial}; the phone shows: {self.screen_summary()}")

    def place(self, request: CallRequest) -> Placement:
        if request.caller_name is not None:
            raise CapabilityMissing(Capability.CALLER_NAME.value, "the phone app caller",
                                    "the name shown is the phone's WeChat nickname", doing=Capability.CALLER_NAME.doing)
        if request.custom_query:
            raise CapabilityMissing("custom_query", "the phone app caller", "the Mini Program decides the query")
        if request.auto_answer:
            self.require(Capability.AUTO_ANSWER)
        if request.room_type not in ("voice", "video"):
            raise InjectionError(f"room type {request.room_type!r} is not voice or video")
        self.open()
        self.choose_device()
        self._set_auto_answer(request.auto_answer)
        pattern = self.profile.patterns.call_placed
        tap_pattern = self.profile.patterns.tap
        mark = self.session.logcat.mark() if pattern is not None or tap_pattern is not None else 0
        tap = self._tap(request.room_type, self._sel(request.room_type), f"ui.{request.room_type}")
        room: str | None = None
        events: dict[str, tuple[float, float]] = {}
        if tap_pattern is not None:
            try:
                line = self.session.logcat.wait_for(re.compile(tap_pattern.regex), self.profile.bounds.call_placed,
                                                    since=mark, tag=tap_pattern.tag, what="the phone's tap line")
                events[PHONE_TAP] = self._host(line)
            except WaitTimeout:  # the instant falls back to the tap's bracket
                log.warning("the phone %s did not log the %s tap (patterns.tap)", self.serial, request.room_type)
        if pattern is not None:
            regex = re.compile(pattern.regex)
            try:
                line = self.session.logcat.wait_for(regex, self.profile.bounds.call_placed, since=mark,
                                                    tag=pattern.tag, what="the phone's callWMPF answer")
            except WaitTimeout:
                raise InjectionError(f"the phone {self.serial} did not log callWMPF's answer within "
                                     f"{self.profile.bounds.call_placed:g} s of the {request.room_type} tap; it "
                                     f"shows: {self.screen_summary()}") from None
            match = regex.search(line.message)
            room = match.group("room") if match else None
            events[PHONE_CALL_SENT] = self._host(line)
        return Placement("phone_app", room, tap.host_before_ns, tap.host_after_ns,
                         {"phone": self.serial, "tap": tap.name}, events)

    def _host(self, line: Any) -> tuple[float, float]:
        """A phone log line on the host timeline: (host ns, bound ns) through the phone's own clock model."""
        half = line.resolution_ns / 2
        host, bound = self.session.clock.estimate().device_to_host(line.device_ns + half)
        return host, bound + half

    # -- the call page -----------------------------------------------------------------------------------------
    def state(self, room_id: str | None) -> dict[str, Any] | None:
        u2 = self.session.u2
        for name in ("ended", "connected", "calling"):
            for spec in self._sel(name):
                obj = u2(**spec)
                if not obj.exists:
                    continue
                out: dict[str, Any] = {"state": name, "endReason": None}
                if name == "ended" and self._reason is not None:
                    match = self._reason.search(obj.get_text() or "")
                    out["endReason"] = match.group("reason") if match else None
                return out
        return None

    def cancel(self, room_id: str | None) -> None:
        self._tap("cancel", self._sel("cancel"), "ui.cancel")

    def hang_up(self, room_id: str | None) -> None:
        self._tap("hang_up", self._sel("hang_up"), "ui.hang_up")

    def close(self) -> None:
        self.session.close()
