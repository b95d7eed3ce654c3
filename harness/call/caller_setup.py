"""Which caller a run uses, and building it: one name → factory table, checked once at start.

The caller is chosen by ``--caller`` or else the app profile's ``call.method``: ``phone_app`` (a phone running
WeChat, ``--caller-serial`` with ``--caller-profile``), ``phone_bot`` (the phone bot API, ``--phone-url``) or
``broadcast`` (a debug build). ``phone`` (the default profile's method) means "a phone": the phone app when a
caller phone is known, else the phone bot. On the simulator the caller phone is the simulator's own phone and
its caller profile ``fixtures/callers/sim-wechat.toml``, so the run exercises the path a lab uses. What is
missing is said once (:class:`CallerUsageError`), before any test runs, with how to provide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.callers.base import Caller
from harness.callers.bot import PhoneBotCaller
from harness.callers.broadcast import BroadcastCaller
from harness.callers.lab_faults import LabFaults
from harness.callers.phone import Phone
from harness.callers.phone_app import PhoneAppCaller
from harness.callers.pool import CallerPool
from harness.config.caller_profile import SIM_PROFILE, CallerProfile, load_caller_profile
from harness.device.session import DeviceSession
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.config.app_profile import AppProfile
    from harness.device.lab import Lab

KINDS = ("phone_app", "phone_bot", "broadcast")
HOW = ("pass --caller-serial PHONE --caller-profile C (a phone running WeChat; fixtures/callers/README.md), "
       "--phone-url URL (a phone bot; docs/phone-bot-api.md), or --caller broadcast (a debug build)")


class CallerUsageError(HarnessError):
    """The run's caller is not configured well enough to place a call (a usage error, said once)."""


@dataclass(frozen=True)
class CallerOptions:
    """What the command line says about the caller (``None``: not given)."""

    kind: str | None = None  # --caller
    caller_serial: str | None = None  # --caller-serial
    more_caller_serials: tuple[str, ...] = ()  # --caller-serial given again: more phones (a second, busy, call)
    caller_profile: str | None = None  # --caller-profile
    phone_url: str | None = None  # --phone-url (the phone bot API)
    faults_url: str | None = None  # --lab-faults-url (default: the phone bot URL)
    device_name: str | None = None  # --device-name: what {name} in the caller profile's selectors becomes


@dataclass(frozen=True)
class CallerChoice:
    kind: str
    caller_serial: str | None = None
    caller_profile: CallerProfile | None = None
    phone_url: str | None = None
    faults_url: str | None = None
    device_name: str | None = None
    more_caller_serials: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "phone_app":
            phones = ", ".join([self.caller_serial or "the simulated phone", *self.more_caller_serials])
            return f"phone app on {phones} ({self.caller_profile.source})" if self.caller_profile else "phone app"
        if self.kind == "phone_bot":
            return f"phone bot at {self.phone_url or 'the simulator'}"
        return "broadcast"


def choose(options: CallerOptions, app_profile: AppProfile, *, simulated: bool) -> CallerChoice:
    """Decide the caller from the options and the app profile; :class:`CallerUsageError` if it cannot work.

    On the simulator the phone serial and bot URL are filled in later from the running simulator."""
    kind = options.kind or app_profile.call_method
    if kind not in (*KINDS, "phone"):
        raise CallerUsageError(f"--caller {kind!r}: use one of {', '.join(KINDS)}")
    if kind == "phone":
        if options.caller_serial or simulated:
            kind = "phone_app"
        elif options.phone_url:
            kind = "phone_bot"
        else:
            raise CallerUsageError(f"no caller configured for the device under test: {HOW}")
    profile = None
    if kind == "phone_app":
        if not options.caller_serial and not simulated:
            raise CallerUsageError(f"the phone-app caller needs the phone: --caller-serial PHONE (or {HOW})")
        if options.caller_profile is None and not simulated:
            raise CallerUsageError("--caller-serial needs --caller-profile NAME|TOML: how to open the device "
                                   "maker's caller Mini Program and its selectors (fixtures/callers/README.md)")
        profile = load_caller_profile(options.caller_profile or SIM_PROFILE)
    if kind == "phone_bot" and not options.phone_url and not simulated:
        raise CallerUsageError("the phone-bot caller needs --phone-url URL (docs/phone-bot-api.md)")
    return CallerChoice(kind, options.caller_serial, profile, options.phone_url,
                        options.faults_url or options.phone_url, options.device_name, options.more_caller_serials)


def for_lab(choice: CallerChoice, lab: Lab) -> CallerChoice:
    """The choice with the simulator's phone and phone bot URL filled in where the options left them open."""
    if lab.simulator is None:
        return choice
    bot = lab.simulator.phone_url
    serial, more = choice.caller_serial, choice.more_caller_serials
    if serial is None and lab.phone_serials:
        serial, more = lab.phone_serials[0], tuple(lab.phone_serials[1:])
    return CallerChoice(choice.kind, serial, choice.caller_profile, choice.phone_url or bot,
                        choice.faults_url or bot, choice.device_name, more)


def build_caller(choice: CallerChoice, lab: Lab, session: DeviceSession, app_profile: AppProfile) -> Caller:
    """The caller for the device of ``session``; the phone app's own session is opened here (closed by
    :meth:`Caller.close`). A phone that is not online is a :class:`~harness.errors.LabError` naming it."""
    sn = session.prop("ro.serialno")
    if choice.kind == "broadcast":
        return BroadcastCaller(session, app_profile.broadcast, app_profile.miniprogram_appid or "",
                               app_profile.source)
    if choice.kind == "phone_bot":
        if not choice.phone_url:
            raise CallerUsageError("the phone-bot caller needs --phone-url URL (docs/phone-bot-api.md)")
        return PhoneBotCaller(Phone(choice.phone_url), sn)
    if not choice.caller_serial or choice.caller_profile is None:
        raise CallerUsageError(f"the phone-app caller has no phone: {HOW}")
    members: list[Caller] = []
    try:
        for serial in (choice.caller_serial, *choice.more_caller_serials):
            members.append(_phone_app(serial, choice.caller_profile, lab, sn, choice.device_name or ""))
    except BaseException:
        for member in members:
            member.close()
        raise
    return members[0] if len(members) == 1 else CallerPool(members)


def _phone_app(serial: str, profile: CallerProfile, lab: Lab, sn: str, device_name: str) -> PhoneAppCaller:
    lab.device(serial)  # online, or a LabError listing what is connected
    phone = DeviceSession(serial, adb_port=lab.adb.port)
    try:
        caller = PhoneAppCaller(phone, profile, device_sn=sn, device_name=device_name)
        phone.clock.estimate()  # the phone's own clock sync, before its first event is mapped
        caller.check()
    except BaseException:
        phone.close()
        raise
    return caller


def build_faults(choice: CallerChoice, sn: str) -> LabFaults:
    """The lab-faults interface for device ``sn``, its capabilities probed now (once per rig)."""
    return LabFaults(Phone(choice.faults_url) if choice.faults_url else None, sn).probe()
