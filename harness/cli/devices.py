"""``wmpf-hil devices``: each device with its model, WMPF state (running pid or not) and WMPF version.

Reads ``getprop``, ``pidof com.tencent.wmpf`` and ``dumpsys package com.tencent.wmpf`` over adb. With
``--serial`` (repeatable) it reports those devices on your adb server, with ``--all`` every device there;
with neither it starts a simulated device and reports that one. Exit status 0 listed, 2 usage, 3 a named
device is not on the adb server (or the adb server does not answer).
"""

from __future__ import annotations

import argparse
import json
import sys

import adbutils

from harness.call.rig import Rig
from harness.call.timeline import Timeline
from harness.cli.target import add_target_arguments, open_lab
from harness.config.app_profile import load_profile
from harness.device.session import DeviceSession
from harness.device.wmpf import wmpf_state
from harness.errors import AppProfileError, HarnessError, LabError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list devices with model, WMPF state and version", description=__doc__)
    add_target_arguments(p, many=True)
    p.add_argument("--all", action="store_true", help="every device on the adb server (with --adb-port)")
    p.add_argument("--app-profile", default=None, metavar="NAME|TOML", help="app profile (WMPF package name)")
    p.add_argument("--json", action="store_true", help="one JSON object per device")
    p.set_defaults(func=run)


def describe(session: DeviceSession, rig: Rig) -> dict[str, object]:
    row: dict[str, object] = {"serial": session.serial}
    try:
        row["state"] = session.state()
        if row["state"] != "device":
            return row
        row["model"] = session.model
        row["android"] = session.prop("ro.build.version.release")
        row["build"] = session.prop("ro.build.type")
        state = wmpf_state(session, rig.profile.wmpf_package)
        row["wmpf"] = (f"running (pid {state.pid})" if state.running else
                       "not running" if state.version_name else "not installed")
        row["wmpf_version"] = f"{state.version_name} ({state.version_code})" if state.version_name else None
    except (HarnessError, adbutils.AdbError, OSError) as exc:
        row["error"] = str(exc)
    return row


def run(args: argparse.Namespace) -> int:
    try:
        profile = load_profile(args.app_profile)
    except AppProfileError as exc:
        print(f"wmpf-hil devices: {exc}", file=sys.stderr)
        return 2
    if args.all and not args.serial:
        args.serial = ["-"]  # attach to the user's server, then list everything on it
    with open_lab(args) as lab:
        serials = lab.serials
        if args.all:
            serials = [d.serial for d in lab.client().list()]
        else:
            states = {d.serial: d.state for d in lab.client().list()}
            missing = [s for s in serials if s not in states]
            if missing:
                raise LabError(f"no device {', '.join(missing)} on the adb server at port {lab.adb.port} "
                               f"(connected: {', '.join(f'{s} ({st})' for s, st in states.items()) or 'none'})")
        rows = []
        for serial in serials:
            with DeviceSession(serial, adb_port=lab.adb.port) as session:
                rows.append(describe(session, Rig(session=session, timeline=Timeline(session, profile),
                                                  profile=profile)))
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("no devices")
        return 0
    print(f"{'SERIAL':<24}{'STATE':<10}{'MODEL':<28}{'WMPF':<22}VERSION")
    for row in rows:
        print(f"{row['serial']:<24}{row.get('state', '?'):<10}{row.get('model', ''):<28}"
              f"{row.get('wmpf', row.get('error', '')):<22}{row.get('wmpf_version') or ''}")
    return 0
