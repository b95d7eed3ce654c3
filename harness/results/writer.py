"""A crash-safe stream of call records: ``reports/<run>/results.jsonl``, one line per call.

A lab run can die at any moment (power, OOM, a wedged device), and the calls already made are evidence, so
each record is appended, flushed and fsynced as the call finishes. Several xdist workers append to the same
file: each line goes out in one ``write`` under an exclusive ``flock``. Everything passes through
:func:`harness.redact.redact` first. ``reports/latest`` points at the newest run directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.redact import redact
from harness.results.records import CallRecord

RESULTS_FILE = "results.jsonl"
LATEST_LINK = "latest"


def new_run_id() -> str:
    """``20261123T192626Z-12345``: sortable, and unique per process even within one second."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}"


def prepare_run_dir(report_dir: str | Path, run_id: str | None = None, *, run_dir: str | Path | None = None,
                    link_latest: bool = True) -> Path:
    """Create the run directory (``report_dir/run_id`` or ``run_dir``) and point ``report_dir/latest`` at it.

    The link is replaced atomically (a temporary link renamed over the old one), so a reader never sees it
    missing. Only the controller process should call this; xdist workers receive the path.
    """
    path = Path(run_dir) if run_dir is not None else Path(report_dir) / (run_id or new_run_id())
    path.mkdir(parents=True, exist_ok=True)
    if link_latest:
        parent = path.parent
        link = parent / LATEST_LINK
        tmp = parent / f".{LATEST_LINK}.{os.getpid()}"
        if link.exists() and not link.is_symlink():
            return path  # someone keeps a real directory called latest: leave it alone
        try:
            tmp.unlink(missing_ok=True)
            os.symlink(path.name, tmp)
            os.replace(tmp, link)
        except OSError:
            tmp.unlink(missing_ok=True)
    return path


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(redact(data), ensure_ascii=False, separators=(",", ":"), default=str)


class ResultsWriter:
    """Appends redacted JSON lines to one file, durable line by line; safe across threads and processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.count = 0

    @classmethod
    def for_run(cls, run_dir: str | Path) -> ResultsWriter:
        return cls(Path(run_dir) / RESULTS_FILE)

    def write(self, record: CallRecord | dict[str, Any]) -> None:
        data = record.to_dict() if isinstance(record, CallRecord) else record
        line = (dumps(data) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                raise ValueError(f"results writer for {self.path} is closed")
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                view = memoryview(line)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
                os.fsync(self._fd)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_results(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records of a results file; a torn last line (crash mid-write) is skipped, not fatal."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                return
            if line.strip():
                yield json.loads(line)
