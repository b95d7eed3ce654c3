"""The ``wmpf-hil`` command line: one module per subcommand."""

from __future__ import annotations

import argparse

from harness.cli import devices, durations, inject, lab, report, sim, trend


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
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


