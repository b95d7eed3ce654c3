"""``wmpf-hil doctor``: is this device (and its caller) ready for a first call? A checklist, each miss with its fix.

Checks, in the order a lab engineer fixes them: adb state and Android version; the SN where the app profile says
WMPF reads it; WMPF and the host app installed (versions) and running; the push listener registered (the
profile's ``listener_registered`` line in the log buffer since WMPF last started); the pushToken obtainable;
root and tcpdump (needed only for device captures and ``kill -9``); the uiautomator2 server; the clock offset
bound; the caller: the phone API knowing this device, the caller phone on adb with WeChat, and the caller
profile's selectors found on it (:mod:`harness.callers.checks`). Exit status 0 only when a call can be placed
(every required check passed), 1 otherwise, 2 for a usage or profile error. :func:`checklist` is the whole list
as lines; ``wmpf-hil lab check --doctor`` prints it for each device of a lab file.

``--learn`` (:mod:`harness.cli.learn`) records the log while a person places, answers and hangs up one call,
and writes the patterns it saw as a draft app profile.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import adbutils

from harness.call.recovery import logged_readiness
from harness.call.rig import Rig
from harness.call.timeline import Timeline
from harness.callers.checks import check_caller
from harness.callers.phone import Phone
from harness.cli.target import open_lab
from harness.config.app_profile import AppProfile, load_profile
from harness.config.caller_profile import CallerProfile, load_caller_profile
from harness.device.identity import probe_root, read_sn
from harness.device.session import DeviceSession
from harness.device.wmpf import wmpf_state
from harness.errors import ConfigError, HarnessError

CLOCK_BOUND_LIMIT_MS = 50.0  # a latency measured with a wider offset bound says little at the 100 ms scale


@dataclass
class Check:
    """One line of the checklist: ``ok`` None is information (never blocks a call)."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "ok  ", False: "MISS", None: "info"}[self.ok]
        out = f"[{mark}] {self.name}: {self.detail}"
        return out + (f"\n       fix: {self.fix}" if self.ok is False and self.fix else "")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check a device (and its caller) before a run; --learn drafts an app profile",
                       description=__doc__)
    p.add_argument("--serial", required=True, metavar="SERIAL", help="adb serial of the device under test")
    p.add_argument("--adb-port", type=int, default=None, metavar="PORT",
                   help="adb server port (default $ANDROID_ADB_SERVER_PORT or 5037)")
    p.add_argument("--app-profile", default=None, metavar="NAME|TOML",
                   help="the app profile of the device (required, except with --learn where it is the base)")
    p.add_argument("--phone-url", default=None, metavar="URL", help="the caller's phone API (POST /callWMPF ...)")
    p.add_argument("--caller-serial", default=None, metavar="SERIAL", help="adb serial of the caller phone")
    p.add_argument("--caller-profile", default=None, metavar="NAME|TOML",
                   help="the caller phone's profile: its Mini Program's selectors are checked on the phone")
    p.add_argument("--device-name", default=None, metavar="NAME",
                   help="the device's name in the caller Mini Program ({name} in the caller profile; default the SN)")
    p.add_argument("--learn", action="store_true",
                   help="record one call placed, answered and hung up by hand; write a draft app profile")
    p.add_argument("--output", "-o", default=None, metavar="TOML", help="--learn: where to write the draft")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S",
                   help="--learn: how long each step may take (default 120 s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.learn:
        from harness.cli import learn

        return learn.run(args)
    if not args.app_profile:
        print("wmpf-hil doctor: --app-profile is required (or learn one: wmpf-hil doctor --learn)", file=sys.stderr)
        return 2
    if args.caller_profile and not args.caller_serial:
        print("wmpf-hil doctor: --caller-profile needs --caller-serial PHONE (the phone its selectors are checked "
              "on)", file=sys.stderr)
        return 2
    try:
        profile = load_profile(args.app_profile)
        caller = load_caller_profile(args.caller_profile) if args.caller_profile else None
    except ConfigError as exc:
        print(f"wmpf-hil doctor: {exc}", file=sys.stderr)
        return 2
    args.serial = [args.serial]
    with open_lab(args) as lab:
        ok, lines = checklist(lab.serials[0], lab.adb.port, profile, phone_url=args.phone_url,
                              callers=[(args.caller_serial, caller)] if args.caller_serial else [],
                              device_name=args.device_name or "")
    for line in lines:
        print(line)
    return 0 if ok else 1


def checklist(serial: str, adb_port: int, profile: AppProfile | str, *, phone_url: str | None = None,
              callers: Sequence[tuple[str, CallerProfile | str | None]] = (),
              device_name: str = "") -> tuple[bool, list[str]]:
    """The whole checklist as printed lines, and whether a call can be placed (no check missed).

    ``profile`` and each caller profile may be names or paths (loaded here: a :class:`ConfigError` if one is
    invalid); ``callers`` are the phones that call this device, each with its caller profile (None: only
    reachability is checked). ``wmpf-hil doctor`` and ``wmpf-hil lab check --doctor`` both print this."""
    app = load_profile(profile) if isinstance(profile, str) else profile
    phones = [(s, load_caller_profile(c) if isinstance(c, str) else c) for s, c in callers]
    checks = diagnose(serial, adb_port, app, phone_url=phone_url, callers=phones, device_name=device_name)
    lines = [check.line() for check in checks]
    missing = [c.name for c in checks if c.ok is False]
    if missing:
        lines.append(f"not ready for a call: {', '.join(dict.fromkeys(missing))}")
    else:
        lines.append("ready: a call can be placed")
    return not missing, lines


def diagnose(serial: str, adb_port: int, profile: AppProfile, *, phone_url: str | None = None,
             callers: Sequence[tuple[str, CallerProfile | None]] = (), device_name: str = "") -> list[Check]:
    """Every check, in order; a check that cannot run after an earlier miss says so instead of raising."""
    checks: list[Check] = []
    with DeviceSession(serial, adb_port=adb_port) as session:
        rig = Rig(session=session, timeline=Timeline(session, profile), profile=profile)
        phone = Phone(phone_url) if phone_url else None
        state = _run(checks, "adb", lambda: _adb(session))
        if not state:
            return checks
        sn_ok = _run(checks, "device SN", lambda: _sn(session, profile))
        _run(checks, "WMPF", lambda: _package(session, profile.wmpf_package, "WMPF", profile))
        host = _run(checks, "host app", lambda: _package(session, profile.host_package, "host app", profile))
        if host:
            _run(checks, "push listener", lambda: _listener(rig))
        _run(checks, "pushToken", lambda: _push_token(rig, phone))
        _run(checks, "root and tcpdump", lambda: _root(session, profile))
        _run(checks, "uiautomator2", lambda: _u2(session))
        _run(checks, "clock", lambda: _clock(session))
        sn = rig.sn if sn_ok else ""
        checks.extend(caller_checks(sn, phone, callers, adb_port, device_name))
    return checks


def _run(checks: list[Check], name: str, fn: Callable[[], Check]) -> bool:
    try:
        check = fn()
    except (HarnessError, adbutils.AdbError, OSError, RuntimeError) as exc:
        check = Check(name, False, f"{type(exc).__name__}: {exc}", "see the message; rerun doctor after fixing it")
    checks.append(check)
    return check.ok is not False


def _adb(session: DeviceSession) -> Check:
    state = session.state()
    if state != "device":
        fixes = {"unauthorized": "accept the USB debugging prompt on the device (or add this host's adb key)",
                 "offline": "reconnect the cable / `adb reconnect`; check the device is awake"}
        return Check("adb", False, f"{session.serial} is {state!r}",
                     fixes.get(state, "connect the device and enable USB debugging (`adb devices` must list it)"))
    release, sdk = session.prop("ro.build.version.release"), session.prop("ro.build.version.sdk")
    build = session.prop("ro.build.type")
    ok = sdk.isdigit() and int(sdk) >= 25
    return Check("adb", ok, f"online, Android {release} (API {sdk}, {build or '?'} build), {session.model}",
                 "WMPF needs Android 7.1 (API 25) or later")


def _sn(session: DeviceSession, profile: AppProfile) -> Check:
    source = profile.device.sn
    sn = read_sn(session, source.kind, source.value)
    return Check("device SN", True, f"{sn!r} (from {source.kind} {source.value!r})")


def _package(session: DeviceSession, package: str, what: str, profile: AppProfile) -> Check:
    state = wmpf_state(session, package)
    if not state.version_name:
        return Check(what, False, f"{package} is not installed", f"install the {what} APK (`adb install ...`) or "
                                                                 f"fix the package name in {profile.source}")
    version = f"{state.version_name} ({state.version_code})"
    if not state.running:
        start = (f"adb shell am start -n {profile.host_component}" if package == profile.host_package
                 else f"start the host app ({profile.host_component}): it wakes WMPF")
        return Check(what, False, f"{package} {version} installed but not running", start)
    return Check(what, True, f"{package} {version}, running (pid {state.pid})")


def _listener(rig: Rig) -> Check:
    logged = logged_readiness(rig)
    if logged.missing and not logged.start_in_log:
        return Check("push listener", None,
                     "cannot tell: WMPF's start has rotated out of the log buffer (the device has been up a while); "
                     f"a run restarts {rig.profile.host_package} to see it register, or restart it now: "
                     f"adb shell am force-stop {rig.profile.host_package}; adb shell am start -n "
                     f"{rig.profile.host_component}")
    if logged.missing:
        tags = ", ".join(sorted({p.tag or "*" for k in logged.missing for p in rig.profile.pattern(k)}))
        return Check("push listener", False,
                     f"no {' / '.join(logged.missing)} line in the log buffer since WMPF last started (tags {tags})",
                     f"restart the host app so it registers its push listener; if it did, the pattern in "
                     f"{rig.profile.source} does not match its log line: learn it with `wmpf-hil doctor --learn`")
    first = rig.profile.ready_patterns()[0]
    seen = next(e for e in reversed(logged.since_start) if e.kind == first)
    return Check("push listener", True, f"registered ({seen.line.tag}: {seen.line.message[:80]})")


def _push_token(rig: Rig, phone: Phone | None) -> Check:
    if rig.profile.call_method == "broadcast":
        return Check("pushToken", None, "not needed: calls are placed by broadcast")
    if phone is None:
        return Check("pushToken", None, "no --phone-url: the caller's backend cannot be asked for this device's "
                                        "pushToken (the host app must upload it to yours)")
    info = phone.device(rig.sn)
    token = info.get("pushToken")
    if not token:
        return Check("pushToken", False, f"the caller's backend has no pushToken for SN {rig.sn!r}",
                     "the host app must fetch it (getPushToken) after activation and upload it; check the SN source")
    expires = info.get("pushTokenExpiresAt") or info.get("expireTimestamp")
    return Check("pushToken", True, f"known to the caller's backend ({token[:6]}…)"
                 + (f", expires {expires}" if expires else ""))


def _root(session: DeviceSession, profile: AppProfile) -> Check:
    rooted = probe_root(session)
    declared = profile.device.root
    tcpdump = session.device.shell("command -v tcpdump || which tcpdump", timeout=10).strip()
    detail = f"root {'yes' if rooted else 'no'} (profile says {declared!r}), tcpdump {tcpdump or 'absent'}"
    if declared == "yes" and not rooted:
        return Check("root and tcpdump", False, detail, "the profile says [device] root = \"yes\" but su gives no "
                                                        "root: set it to \"auto\" or \"no\"")
    capture = profile.capture_config()
    if capture.mode == "device" and not (rooted and tcpdump):
        return Check("root and tcpdump", False, detail, "[capture] mode = \"device\" needs root and tcpdump: "
                                                        "use mode = \"host\" with the lab interface instead")
    return Check("root and tcpdump", None if not rooted else True,
                 detail + ("" if rooted else ": kill -9 falls back to am force-stop, no device captures"))


def _u2(session: DeviceSession) -> Check:
    info = session.u2.info
    return Check("uiautomator2", True, f"server up (screen {info.get('displayWidth')}x{info.get('displayHeight')}, "
                                       f"{info.get('currentPackageName')})")


def _clock(session: DeviceSession) -> Check:
    est = session.clock.estimate()
    import time

    offset_ns, bound_ns = est.offset_at(time.time_ns())
    detail = f"device - host = {offset_ns / 1e6:+.1f} ms, bound ±{bound_ns / 1e6:.3f} ms ({est.samples} samples)"
    if bound_ns / 1e6 > CLOCK_BOUND_LIMIT_MS:
        return Check("clock", False, detail, "the adb link is too slow or jittery for timing: use USB, not Wi-Fi adb")
    return Check("clock", True, detail)


def caller_checks(sn: str, phone: Phone | None, callers: Sequence[tuple[str, CallerProfile | None]],
                  adb_port: int, device_name: str = "") -> list[Check]:
    """The caller side: its phone API reachable and knowing this device; each caller phone on adb, and with its
    caller profile, the Mini Program's selectors found on its screen (:func:`harness.callers.checks.check_caller`)."""
    checks: list[Check] = []
    if phone is not None:
        def reachable() -> Check:
            devices = phone.devices()
            known = any(d.get("sn") == sn for d in devices)
            return Check("caller", known, f"phone API {phone.base_url} answers; "
                         f"{'knows' if known else 'does not know'} SN {sn!r}",
                         "register this device (SN and pushToken) with the caller's backend")
        _run(checks, "caller", reachable)
    for serial, caller_profile in callers:
        if caller_profile is None:
            def caller_device(serial: str = serial) -> Check:
                with DeviceSession(serial, adb_port=adb_port) as session:
                    state = session.state()
                    if state != "device":
                        return Check("caller phone", False, f"{serial} is {state!r}",
                                     "connect the caller phone and enable USB debugging")
                    return Check("caller phone", True, f"{serial} online ({session.model}); no caller profile: "
                                                       f"its selectors not checked")
            _run(checks, "caller phone", caller_device)
        elif not sn:
            checks.append(Check("caller selectors", False, f"not checked on {serial}: the device's SN is unknown",
                                "fix the device SN check above first"))
        else:
            checks.extend(Check(f.name, f.ok, f.detail, f.fix)
                          for f in check_caller(serial, caller_profile, adb_port, device_sn=sn,
                                                device_name=device_name))
    if not checks:
        checks.append(Check("caller", None, "no --phone-url or --caller-serial: not checked"))
    return checks
