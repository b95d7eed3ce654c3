"""``wmpf-hil durations merge --into .test_durations SHARD...``: keep pytest-split's durations file current.

Each shard of a farm run stores the durations of the tests it ran (``pytest --store-durations --clean-durations
--durations-path RUN_DIR/test_durations.json``); pytest-split balances the next night's shards by the merged
file. A shard is a durations file or a run directory holding ``test_durations.json``; the ``--into`` file's
current figures are kept for tests no shard ran and replaced for those a shard did. Exit status: 0 written,
2 unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.results.load import ResultsFileError
from harness.results.merge import DURATIONS_FILE, merge_durations


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("durations", help="merge pytest-split durations files from the shards of a run",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    merge = actions.add_parser("merge", help="merge shard durations into one file")
    merge.add_argument("shards", nargs="+", metavar="SHARD",
                       help=f"durations files or run directories ({DURATIONS_FILE})")
    merge.add_argument("--into", default=".test_durations", metavar="PATH",
                       help="the durations file to update (default .test_durations, pytest-split's default)")
    merge.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = [Path(s) / DURATIONS_FILE if Path(s).is_dir() else Path(s) for s in args.shards]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"wmpf-hil durations: no durations file at {', '.join(missing)}", file=sys.stderr)
        return 2
    into = Path(args.into)
    try:
        merge_durations(files, into, base=into)
    except ResultsFileError as exc:
        print(f"wmpf-hil durations: {exc}", file=sys.stderr)
        return 2
    print(f"merged {len(files)} durations file(s) into {into}")
    return 0
