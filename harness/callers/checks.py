"""Is the caller phone ready to call this device? The checks ``wmpf-hil doctor`` runs on the caller's side.

A phone-app caller fails on a lab for dull reasons long before its first call: the phone is not on adb, WeChat is
not installed, or the device maker's caller Mini Program changed and a selector of the caller profile no longer
matches. These checks do what the rig does when it builds a phone-app caller (:meth:`PhoneAppCaller.check`):
open the Mini Program as the profile says, choose the device by its SN/name, and find Voice and Video (and the
auto-answer switch when the profile has one); a miss names the profile key, the selector and what the phone shows.
The call page's selectors (calling, connected, ended, cancel, hang up) appear only during a call: they are
reported as not checked. Each result is a :class:`CallerFinding`; the CLI prints them in its checklist.
"""

from __future__ import annotations

from dataclasses import dataclass

import adbutils

from harness.callers.phone_app import CallerSetupError, PhoneAppCaller
from harness.config.caller_profile import CallerProfile, fill
from harness.device.session import DeviceSession
from harness.device.wmpf import wmpf_state
from harness.errors import HarnessError

CALL_PAGE_KEYS = ("calling", "connected", "ended", "cancel", "hang_up")


@dataclass(frozen=True)
class CallerFinding:
    """One line about the caller: ``ok`` None is information (never blocks a call)."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""


def check_caller(serial: str, profile: CallerProfile, adb_port: int, *, device_sn: str,
                 device_name: str = "") -> list[CallerFinding]:
    """The phone ``serial`` on adb, WeChat on it, and the caller profile's selectors found on its screen for the
    device ``device_sn``. Stops at the first miss (a later check would only repeat it)."""
    where = f"caller phone {serial}"
    try:
        with DeviceSession(serial, adb_port=adb_port) as session:
            state = session.state()
            if state != "device":
                return [CallerFinding("caller phone", False, f"{serial} is {state!r}",
                                      "connect the caller phone, enable USB debugging and accept this host's key")]
            out = [CallerFinding("caller phone", True, f"{serial} online ({session.model})")]
            app = wmpf_state(session, profile.caller.package)
            if not app.version_name:
                out.append(CallerFinding("caller app", False, f"{profile.caller.package} is not installed on {serial}",
                                         f"install WeChat on the phone, or fix [caller] package in {profile.source}"))
                return out
            out.append(CallerFinding("caller app", True, f"{profile.caller.package} {app.version_name} "
                                                         f"({profile.caller.name})"))
            out.extend(_selectors(session, profile, device_sn, device_name))
            return out
    except (HarnessError, adbutils.AdbError, OSError, RuntimeError) as exc:
        return [CallerFinding("caller phone", False, f"{where}: {type(exc).__name__}: {exc}",
                              "see the message; rerun doctor after fixing it")]


def _selectors(session: DeviceSession, profile: CallerProfile, device_sn: str,
               device_name: str) -> list[CallerFinding]:
    caller = PhoneAppCaller(session, profile, device_sn=device_sn, device_name=device_name)
    fix = (f"open the caller Mini Program on the phone, find the element with `python -m uiautomator2 dump` "
           f"(or weditor) and correct the selector in {profile.source} (fixtures/callers/README.md)")
    try:
        caller.check()  # open, choose the device, Voice and Video
    except CallerSetupError as exc:
        return [CallerFinding("caller selectors", False, str(exc), fix)]
    found = ["open", "ui.choose_device", "ui.voice", "ui.video"]
    if profile.ui.auto_answer is not None:
        specs = fill(profile.selector("auto_answer"), sn=device_sn, name=device_name or device_sn)
        if not any(session.u2(**spec).exists for spec in specs):
            return [CallerFinding("caller selectors", False,
                                  f"{profile.source}: key 'ui.auto_answer': selector {' or '.join(map(str, specs))} "
                                  f"matches nothing on the phone {session.serial} (the device page); the phone "
                                  f"shows: {caller.screen_summary()}", fix)]
        found.append("ui.auto_answer")
    return [CallerFinding("caller selectors", True, f"{', '.join(found)} found for SN {device_sn!r} "
                                                    f"({profile.source})"),
            CallerFinding("caller call page", None, f"ui.{', ui.'.join(CALL_PAGE_KEYS)} appear only during a call: "
                                                    f"checked by the first call")]
