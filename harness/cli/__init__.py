"""The ``wmpf-hil`` command line: one module per subcommand.

Every command exits 0 ok, 1 product failure (a failed call, a missed gate), 2 usage (bad arguments or
configuration, unreadable input), 3 lab error (adb server, device gone, a run cut short by the lab) — with one
line on stderr saying why.
"""

from __future__ import annotations

import argparse
import sys

import adbutils

from harness.cli import devices, durations, inject, lab, report, sim, trend
from harness.errors import HarnessError, LabError

EXIT_OK, EXIT_PRODUCT, EXIT_USAGE, EXIT_LAB = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wmpf-hil", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sim.register(sub)
    inject.register(sub)
    devices.register(sub)
    report.register(sub)
    trend.register(sub)
    durations.register(sub)
    lab.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # argparse: usage errors exit 2
    try:
        return int(args.func(args) or 0)
    except (LabError, adbutils.AdbError, ConnectionError) as exc:
        print(f"wmpf-hil {args.command}: lab error: {exc}", file=sys.stderr)
        return EXIT_LAB
    except HarnessError as exc:
        print(f"wmpf-hil {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


