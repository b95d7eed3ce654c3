"""``wmpf-hil inject``: place one call on a device and print its timeline and latencies (local repro).

The same driver as the scenario suite: the call is placed by the same caller a run would use (a phone running
WeChat with ``--caller-serial`` and ``--caller-profile``, a phone bot with ``--phone-url``, or the app's debug
broadcast; on the simulator its own phone), answered (a timed tap on Answer, or ``--auto-answer``: the push
carries ``isClickedHangOnBtn=1``), held,
hung up and its end mode verified; every event is shown relative to the moment the call was placed, with the
bound of each figure, and with the phone-app caller the phone's own log lines of the call beside the device's
(each on its own clock, mapped to the host timeline). Exit status 0 passed, 1 failed (the stage is printed),
3 lab error.
"""

from __future__ import annotations

import argparse
import sys

from harness.call.caller_setup import CallerOptions, build_caller, choose, for_lab
from harness.call.driver import CallDriver
from harness.call.recovery import wait_ready
from harness.call.rig import Rig
from harness.call.timeline import Timeline
from harness.callers.base import Caller
from harness.callers.phone_app import PhoneAppCaller
from harness.cli.target import add_target_arguments, open_lab
from harness.config.app_profile import load_profile
from harness.device.session import DeviceSession
from harness.errors import ConfigError, HarnessError, LabError
from harness.results.records import CallRecord, Outcome

EXIT = {Outcome.PASSED: 0, Outcome.FAILED: 1, Outcome.LAB_ERROR: 3}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inject", help="place one call and print its timeline and latencies", description=__doc__)
    add_target_arguments(p)
    p.add_argument("--room", choices=("video", "voice"), default=None, help="room type (default: app profile)")
    p.add_argument("--caller", default=None, metavar="NAME",
                   help="caller name shown on the device (a phone bot or broadcast chooses it; a phone's WeChat "
                        "shows its nickname)")
    p.add_argument("--via", default=None, choices=("phone_app", "phone_bot", "broadcast"),
                   help="how the call is placed (default: the app profile's call.method; on the simulator its "
                        "phone, through the phone app, unless --caller names the caller)")
    p.add_argument("--caller-serial", default=None, metavar="SERIAL",
                   help="adb serial of the caller's phone running WeChat (on the same adb server)")
    p.add_argument("--caller-profile", default=None, metavar="NAME|TOML",
                   help="caller profile (fixtures/callers; default on the simulator: sim-wechat)")
    p.add_argument("--device-name", default=None, metavar="NAME", help="{name} in the caller profile (default: SN)")
    p.add_argument("--auto-answer", action="store_true", help="answer through isClickedHangOnBtn=1, no tap")
    p.add_argument("--hang-up", choices=("device", "phone"), default="device", help="who hangs up")
    p.add_argument("--hold", type=float, default=None, metavar="S", help="seconds to hold the connected call")
    p.add_argument("--app-profile", default=None, metavar="NAME|TOML", help="app profile (default: default)")
    p.add_argument("--phone-url", default=None, metavar="URL", help="phone bot API (docs/phone-bot-api.md)")
    p.set_defaults(func=run)


def print_call(record: CallRecord, phone_lines: list[tuple[float, float, str]] | None = None) -> None:
    print(f"call {record.room_id or '-'} on {record.serial} ({record.model}): {record.outcome.value}"
          + (f" at {record.stage.value}" if record.stage else ""))
    if record.error:
        print(f"  {record.error}")
    placed = record.events.get("placed")
    origin = placed.device_ms if placed else min((e.device_ms for e in record.events.values()), default=0.0)
    print("timeline (device clock, ms after the call was placed):")
    for name, stamp in sorted(record.events.items(), key=lambda kv: kv[1].device_ms):
        print(f"  {stamp.device_ms - origin:>10.1f}  {name:<18} ±{stamp.bound_ms:.3f} ({stamp.source})")
    if phone_lines is not None and placed is not None:
        print("the phone's view (its logcat on its own clock, mapped to the host; ms after the call was placed), "
              "next to the device's:")
        rows = [(stamp.host_ms, "device", name, stamp.bound_ms) for name, stamp in record.events.items()]
        rows += [(host_ms, "phone", text, bound) for host_ms, bound, text in phone_lines]
        for host_ms, side, text, bound in sorted(rows):
            print(f"  {host_ms - placed.host_ms:>10.1f}  {side:<6} {text[:160]:<60} ±{bound:.3f}")
    print("latencies:")
    for name, fig in record.latencies.items():
        print(f"  {name:<18} {fig.ms:>10.1f} ms  ±{fig.bound_ms:.3f}")
    if record.offset_bound_ms is not None:
        print(f"clock offset bound: ±{record.offset_bound_ms:.3f} ms; lab retries: {record.retries}")


def _options(args: argparse.Namespace) -> CallerOptions:
    via = args.via
    if via is None and args.caller and not args.caller_serial:
        via = "phone_bot"  # a chosen caller name needs a caller that can choose it
    return CallerOptions(kind=via, caller_serial=args.caller_serial, caller_profile=args.caller_profile,
                         phone_url=args.phone_url, device_name=args.device_name)


def _phone_lines(caller: Caller, mark: int) -> list[tuple[float, float, str]] | None:
    """The phone's log lines of the call (the caller app's own tag), mapped to host ms with their bounds."""
    if not isinstance(caller, PhoneAppCaller):
        return None
    pattern = caller.profile.patterns.call_placed
    tag = pattern.tag if pattern is not None else None
    est = caller.session.clock.estimate()
    out = []
    for line in caller.session.logcat.lines(mark):
        if tag is not None and line.tag != tag:
            continue
        host, bound = est.device_to_host(line.device_ns + line.resolution_ns / 2)
        out.append((host / 1e6, (bound + line.resolution_ns / 2) / 1e6, f"{line.tag}: {line.message}"))
    return out


def run(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.app_profile)
        choice = choose(_options(args), profile, simulated=not args.serial)
        # A simulated host app that shows its own incoming screen rings before the call page sees the push's
        # isClickedHangOnBtn=1; for --auto-answer the simulated device opens the call page directly, as the
        # auto-answer scenario's device does. A real device is used as it is.
        overrides = {"host_app": {"incoming_ui": "direct"}} if args.auto_answer else None
        phones = 1 if choice.kind == "phone_app" else 0
        with open_lab(args, sim_overrides=overrides, sim_phones=phones) as lab, \
                DeviceSession(lab.serials[0], adb_port=lab.adb.port) as session:
            rig = Rig(session=session, timeline=Timeline(session, profile), profile=profile,
                      time_scale=args.sim_time_scale if lab.simulated else 1.0)
            wait_ready(rig)
            chosen = for_lab(choice, lab)
            rig.caller = build_caller(chosen, lab, session, profile)
            try:
                rig.warm_up()
                mark = rig.caller.session.logcat.mark() if isinstance(rig.caller, PhoneAppCaller) else 0
                record = CallDriver(rig, "wmpf-hil inject").run(
                    room_type=args.room, caller_name=args.caller,
                    answer="auto" if args.auto_answer else "tap", hang_up=args.hang_up, hold_s=args.hold)
                phone_lines = _phone_lines(rig.caller, mark)
            finally:
                rig.caller.close()
    except LabError as exc:
        print(f"wmpf-hil inject: lab error: {exc}", file=sys.stderr)
        return 3
    except (HarnessError, ConfigError) as exc:
        print(f"wmpf-hil inject: {exc}", file=sys.stderr)
        return 2
    print_call(record, phone_lines)
    print(f"caller: {chosen.describe()}")
    return EXIT[record.outcome]
