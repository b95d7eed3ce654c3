"""The device a ``wmpf-hil`` subcommand works on: a named serial on your adb server, or a simulated one.

With ``--serial`` the command attaches to the adb server you already use (``--adb-port``, else
``$ANDROID_ADB_SERVER_PORT`` or 5037) and never starts or stops it. Without, it starts an isolated adb
server and one simulated device (through :mod:`harness.device.lab`), and stops both when done.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.device.adb_server import DEFAULT_ISOLATED_PORT, free_server_port
from harness.device.lab import Lab, LabConfig, derive_profile


def add_target_arguments(p: argparse.ArgumentParser, *, many: bool = False) -> None:
    p.add_argument("--serial", action="append" if many else "store", default=[] if many else None,
                   metavar="SERIAL", help="adb serial of a device (default: start a simulated device)")
    p.add_argument("--adb-port", type=int, default=None, metavar="PORT",
                   help="adb server port (with --serial: default $ANDROID_ADB_SERVER_PORT or 5037; "
                        "simulated: first free from 15037)")
    p.add_argument("--sim-profile", default=None, metavar="TOML", help="device profile of the simulated device")
    p.add_argument("--sim-time-scale", type=float, default=1.0, metavar="X",
                   help="multiply the simulated device's delays by X (default 1)")
    p.add_argument("--sim-base-port", type=int, default=20000, metavar="PORT",
                   help="first loopback port for the simulated device")


@contextmanager
def open_lab(args: argparse.Namespace, sim_overrides: dict[str, dict[str, Any]] | None = None, *,
             sim_phones: int = 0) -> Iterator[Lab]:
    """The lab for the command; ``sim_overrides`` configure the simulated device (ignored for a real one), and
    ``sim_phones`` simulated phones running WeChat are started beside it."""
    serials = args.serial if isinstance(args.serial, list) else ([args.serial] if args.serial else [])
    if serials:
        port = args.adb_port or int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))
        config = LabConfig(serials=serials, adb_port=port)
    else:
        config = LabConfig(adb_port=free_server_port(args.adb_port or DEFAULT_ISOLATED_PORT),
                           sim_profile=derive_profile(args.sim_profile, sim_overrides) if sim_overrides
                           else args.sim_profile, sim_time_scale=args.sim_time_scale,
                           sim_base_port=args.sim_base_port, sim_phones=sim_phones)
    lab = Lab(config).start()
    try:
        yield lab
    finally:
        lab.stop()
