"""``wmpf-hil sim``: run simulated devices until interrupted, for desk debugging and external tools.

Prints one JSON line per device and phone (``role`` "device" or "phone", ``serial``, ``port``, ``model``, ``sn``,
``phone``: the phone bot API's URL) once all are connected to the adb server, then waits for SIGINT or SIGTERM
and stops cleanly: its devices disconnected, and the adb server stopped if it was the one to start it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from simulator import Simulator, SimulatorError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="start simulated devices and connect them to an adb server",
                       description=__doc__)
    p.add_argument("--devices", type=int, default=1, metavar="N", help="how many devices (default 1)")
    p.add_argument("--phones", type=int, default=0, metavar="M",
                   help="also start M simulated phones running WeChat with the caller Mini Program (default 0)")
    p.add_argument("--phone-profile", default=None, metavar="TOML",
                   help="device profile of the phones (default: fixtures/devices/wechat-phone.toml)")
    p.add_argument("--profile", default=None, metavar="TOML", help="device profile (default: wmpf-tablet)")
    p.add_argument("--base-port", type=int, default=20000, metavar="PORT",
                   help="first device port to try (ports in the ephemeral range are skipped)")
    p.add_argument("--adb", dest="adb_path", default=None, metavar="PATH",
                   help="adb binary to start the server with (default: the one bundled with adbutils)")
    p.add_argument("--adb-port", type=int, default=None, metavar="PORT",
                   help="adb server port (default: $ANDROID_ADB_SERVER_PORT or 5037)")
    p.add_argument("--adb-keys", default=None, metavar="FILE",
                   help="require adb AUTH: only hosts whose public key is in FILE get in")
    p.add_argument("--time-scale", type=float, default=1.0, metavar="X",
                   help="multiply every simulated delay by X")
    p.add_argument("--truth", default=None, metavar="DIR", help="append ground-truth events to DIR/<sn>.jsonl")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        sim = Simulator(args.devices, profile=args.profile, base_port=args.base_port, adb_path=args.adb_path,
                        adb_server_port=args.adb_port, adb_keys=args.adb_keys, time_scale=args.time_scale,
                        truth_dir=args.truth, phones=args.phones, phone_profile=args.phone_profile,
                        wait_state=("device", "unauthorized") if args.adb_keys else ("device",))
        sim.start()
    except (SimulatorError, ValueError) as exc:
        print(f"wmpf-hil sim: error: {exc}", file=sys.stderr)
        return 2
    try:
        for info in sim.all_devices:
            print(json.dumps(info.as_json()), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0
