"""``wmpf-hil inject``: place one call on a device and print its timeline and latencies (local repro).

The same driver as the scenario suite: the call is placed (the phone API, or the app's debug broadcast),
answered (a timed tap on Answer, or ``--auto-answer``: the push carries ``isClickedHangOnBtn=1``), held,
hung up and its end mode verified; every event is shown on the device clock relative to the moment the call
was placed, with the bound of each figure. Exit status 0 passed, 1 failed (the stage is printed), 3 lab error.
"""

from __future__ import annotations

import argparse
import sys

from harness.call.driver import CallDriver
from harness.call.recovery import wait_ready
from harness.call.rig import Rig
from harness.call.timeline import Timeline
from harness.callers.phone import Phone
from harness.cli.target import add_target_arguments, open_lab
from harness.config.app_profile import load_profile
from harness.device.session import DeviceSession
from harness.errors import HarnessError, LabError
from harness.results.records import CallRecord, Outcome

EXIT = {Outcome.PASSED: 0, Outcome.FAILED: 1, Outcome.LAB_ERROR: 3}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inject", help="place one call and print its timeline and latencies", description=__doc__)
    add_target_arguments(p)
    p.add_argument("--room", choices=("video", "voice"), default=None, help="room type (default: app profile)")
    p.add_argument("--caller", default=None, metavar="NAME", help="caller name shown on the device")
    p.add_argument("--auto-answer", action="store_true", help="answer through isClickedHangOnBtn=1, no tap")
    p.add_argument("--hang-up", choices=("device", "phone"), default="device", help="who hangs up")
    p.add_argument("--hold", type=float, default=None, metavar="S", help="seconds to hold the connected call")
    p.add_argument("--app-profile", default=None, metavar="NAME|TOML", help="app profile (default: default)")
    p.add_argument("--phone-url", default=None, metavar="URL", help="phone API for a real device")
    p.set_defaults(func=run)


def print_call(record: CallRecord) -> None:
    print(f"call {record.room_id or '-'} on {record.serial} ({record.model}): {record.outcome.value}"
          + (f" at {record.stage.value}" if record.stage else ""))
    if record.error:
        print(f"  {record.error}")
    placed = record.events.get("placed")
    origin = placed.device_ms if placed else min((e.device_ms for e in record.events.values()), default=0.0)
    print("timeline (device clock, ms after the call was placed):")
    for name, stamp in sorted(record.events.items(), key=lambda kv: kv[1].device_ms):
        print(f"  {stamp.device_ms - origin:>10.1f}  {name:<18} ±{stamp.bound_ms:.3f} ({stamp.source})")
    print("latencies:")
    for name, fig in record.latencies.items():
        print(f"  {name:<18} {fig.ms:>10.1f} ms  ±{fig.bound_ms:.3f}")
    if record.offset_bound_ms is not None:
        print(f"clock offset bound: ±{record.offset_bound_ms:.3f} ms; lab retries: {record.retries}")


def run(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.app_profile)
        # A simulated host app that shows its own incoming screen rings before the call page sees the push's
        # isClickedHangOnBtn=1; for --auto-answer the simulated device opens the call page directly, as the
        # auto-answer scenario's device does. A real device is used as it is.
        overrides = {"host_app": {"incoming_ui": "direct"}} if args.auto_answer else None
        with open_lab(args, sim_overrides=overrides) as lab:
            url = args.phone_url or (lab.simulator.devices[0].phone if lab.simulator else None)
            with DeviceSession(lab.serials[0], adb_port=lab.adb.port) as session:
                rig = Rig(session=session, timeline=Timeline(session, profile), profile=profile,
                          phone=Phone(url) if url else None,
                          time_scale=args.sim_time_scale if lab.simulated else 1.0)
                wait_ready(rig)
                rig.warm_up()
                record = CallDriver(rig, "wmpf-hil inject").run(
                    room_type=args.room, caller_name=args.caller, answer="auto" if args.auto_answer else "tap",
                    hang_up=args.hang_up, hold_s=args.hold)
    except LabError as exc:
        print(f"wmpf-hil inject: lab error: {exc}", file=sys.stderr)
        return 3
    except HarnessError as exc:
        print(f"wmpf-hil inject: {exc}", file=sys.stderr)
        return 2
    print_call(record)
    return EXIT[record.outcome]
