"""A crash-safe stream of call records: ``reports/<run>/results.jsonl``, one line per call.

A lab run can die at any moment (power, OOM, a wedged device), and the calls already made are evidence, so
each record is appended, flushed and fsynced as the call finishes. Several xdist workers append to the same
file: each line goes out in one ``write`` under an exclusive ``flock``. Everything passes through
:func:`harness.redact.redact` first.

Besides call records the file holds two small kinds of line, so that a call is never silently missing:

* a *mark* (``{"mark": <call_id>, "reached": "started" | "placed" | ...}``) written when a call starts and at each
  step; a call with marks but no record was cut short (a crashed worker, SIGKILL, a full disk) and the loader
  turns it into a ``lab_error`` record that says how far it got;
* an *amendment* (``{"amend": <call_id>, "extra": {...}}``): trouble after the record was written (the clean-up
  of a failed call), added to that record, never replacing it.

``reports/latest`` points at the newest run directory that has finished writing its results
(:func:`link_latest_to`, called by the controller at the end of a run).
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
    """Create the run directory (``report_dir/run_id`` or ``run_dir``); with ``link_latest``, point
    ``report_dir/latest`` at it too (a finished run's results; a run in progress leaves ``latest`` alone)."""
    path = Path(run_dir) if run_dir is not None else Path(report_dir) / (run_id or new_run_id())
    path.mkdir(parents=True, exist_ok=True)
    if link_latest:
        link_latest_to(path)
    return path


def link_latest_to(path: str | Path) -> bool:
    """Point ``<parent>/latest`` at ``path``: a temporary link renamed over the old one (``os.replace``), so a
    reader sees the old run or the new one, never no link. A real directory called latest is left alone."""
    path = Path(path)
    parent = path.parent
    link = parent / LATEST_LINK
    tmp = parent / f".{LATEST_LINK}.{os.getpid()}"
    if link.exists() and not link.is_symlink():
        return False
    try:
        tmp.unlink(missing_ok=True)
        os.symlink(path.name, tmp)
        os.replace(tmp, link)
    except OSError:
        tmp.unlink(missing_ok=True)
        return False
    return True


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

    def mark(self, record: CallRecord) -> None:
        """Note how far a call got (its first mark carries what identifies it): the loader's evidence of a call
        that never wrote its record."""
        data: dict[str, Any] = {"mark": record.call_id, "reached": record.reached}
        if record.room_id:
            data["room_id"] = record.room_id
        if record.reached == "started":
            data.update(scenario=record.scenario, serial=record.serial, call_index=record.call_index,
                        test_id=record.test_id, worker=record.worker, started_at=record.started_at,
                        lab=record.lab, time_scale=record.time_scale, model=record.model)
        self.write(data, count=False)

    def amend(self, record: CallRecord, extra: dict[str, Any]) -> None:
        """Add to a written record (clean-up trouble after the call), never replacing it."""
        self.write({"amend": record.call_id, "extra": extra}, count=False)

    def write(self, record: CallRecord | dict[str, Any], *, count: bool = True) -> None:
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
            if count:
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


def read_lines(path: str | Path) -> Iterator[dict[str, Any]]:
    """Every line of a results file (records, marks, amendments); a torn last line (crash mid-write) is
    skipped, not fatal."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                return
            if line.strip():
                yield json.loads(line)


def is_record(data: dict[str, Any]) -> bool:
    return "mark" not in data and "amend" not in data


def read_results(path: str | Path) -> Iterator[dict[str, Any]]:
    """Call records of a results file, amendments applied, and a ``lab_error`` record for every call that
    started (marks) but never wrote its own (see the module docstring)."""
    records: list[dict[str, Any]] = []
    marks: dict[str, dict[str, Any]] = {}
    amends: dict[str, list[dict[str, Any]]] = {}
    for data in read_lines(path):
        if "mark" in data:
            first = marks.setdefault(str(data["mark"]), dict(data))
            first["reached"] = data.get("reached", first.get("reached"))
            first["room_id"] = data.get("room_id") or first.get("room_id")
        elif "amend" in data:
            amends.setdefault(str(data["amend"]), []).append(data.get("extra") or {})
        else:
            records.append(data)
    written = {r.get("call_id") for r in records}
    for data in records:
        for extra in amends.get(str(data.get("call_id")), ()):
            data.setdefault("extra", {}).update(extra)
    for call_id, mark in marks.items():
        if call_id not in written:
            records.append(lost_record(call_id, mark))
    yield from records


LOST = "lost"  # record.extra["lost"]: the record was made up from the call's marks


def lost_record(call_id: str, mark: dict[str, Any]) -> dict[str, Any]:
    """The ``lab_error`` record of a call that started but never wrote its own."""
    reached = mark.get("reached") or "started"
    return {"scenario": mark.get("scenario") or "?", "serial": mark.get("serial") or "?", "call_id": call_id,
            "room_id": mark.get("room_id"),
            "model": mark.get("model") or "", "call_index": mark.get("call_index") or 0,
            "test_id": mark.get("test_id"), "worker": mark.get("worker"),
            "started_at": mark.get("started_at") or 0.0, "lab": mark.get("lab"), "time_scale": mark.get("time_scale"),
            "reached": reached, "outcome": "lab_error", "stage": None,
            "error": f"lost: the call started and reached {reached}, but its record was never written (the process "
                     f"was killed, its xdist worker crashed or the disk was full)",
            "extra": {LOST: True}}
