"""The ``wmpf-hil`` command line: one module per subcommand."""

from __future__ import annotations

import argparse

from harness.cli import devices, doctor, inject, report, sim


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wmpf-hil", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sim.register(sub)
    inject.register(sub)
    devices.register(sub)
    doctor.register(sub)
    report.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


