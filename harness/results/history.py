"""The history store: every finished run appended to one SQLite file, for trends across builds and models.

One run is one row of ``runs`` (when, which build, kind and time scale, counts, whether it broke a gate) and
one row of ``calls`` per call record (scenario, model, the versions read from the device, outcome, attempt,
latencies as JSON). Trends, pass rates and flaky scenarios are computed from these rows by the reader
(:mod:`harness.report.trend`); the store keeps facts, not derived figures, so a better statistic later needs no
migration. Appending is idempotent per run id (a merge re-run replaces its run), and each append is one
transaction, so a reader never sees half a run. stdlib ``sqlite3`` only.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.results.labels import (
    BUILD_KEY,
    HOST_KEY,
    SHARD_KEY,
    RunLabels,
    attempt_of,
    build_of,
    kind_of_record,
    label_of,
    versions_of,
)
from harness.results.records import CallRecord, Outcome

HISTORY_FILE = "history.sqlite"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, recorded_at REAL, started_at REAL, finished_at REAL, build TEXT, kind TEXT,
    time_scale REAL, hosts TEXT, shards TEXT, calls INTEGER, passed INTEGER, failed INTEGER, lab_errors INTEGER,
    expected_failures INTEGER, gate_failed INTEGER, gate_summary TEXT, source TEXT);
CREATE TABLE IF NOT EXISTS calls (
    run_id TEXT REFERENCES runs(run_id) ON DELETE CASCADE, scenario TEXT, test_id TEXT, serial TEXT, model TEXT,
    wmpf_version TEXT, host_app_version TEXT, build TEXT, outcome TEXT, stage TEXT, expected_failure INTEGER,
    attempt INTEGER, shard TEXT, host TEXT, started_at REAL, latencies TEXT);
CREATE INDEX IF NOT EXISTS calls_run ON calls(run_id);
"""


class HistoryError(HarnessError):
    """The history file cannot be opened or is not a wmpf-hil history."""


@dataclass(frozen=True)
class RunRow:
    run_id: str
    recorded_at: float
    started_at: float | None
    build: str | None
    kind: str | None
    time_scale: float | None
    hosts: str
    shards: str
    calls: int
    passed: int
    failed: int
    lab_errors: int
    expected_failures: int
    gate_failed: bool | None
    gate_summary: str

    @property
    def finished_calls(self) -> int:
        return self.calls

    @property
    def pass_rate(self) -> float | None:
        judged = self.passed + self.failed - self.expected_failures
        return self.passed / judged if judged > 0 else None

    @property
    def lab_error_rate(self) -> float | None:
        return self.lab_errors / self.calls if self.calls else None


@dataclass(frozen=True)
class CallRow:
    run_id: str
    scenario: str
    test_id: str | None
    model: str
    build: str
    outcome: str
    expected_failure: bool
    attempt: int
    latencies: dict[str, float]


@contextmanager
def connect(path: str | Path) -> Iterator[sqlite3.Connection]:
    """The history database (created with its tables on first use)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(sqlite3.connect(path, timeout=30)) as db:
            db.executescript(SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            yield db
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"{path}: not a wmpf-hil history database ({exc})") from None


def _expected_failure(record: CallRecord) -> bool:
    prop = getattr(record, "expected_failure", None)  # issue 9a's property, where it exists
    if isinstance(prop, bool):
        return prop
    return record.outcome is Outcome.FAILED and bool(record.extra.get("failure_proof"))


def append_run(path: str | Path, run_id: str, records: Iterable[CallRecord], *, labels: RunLabels | None = None,
               gate_failed: bool | None = None, gate_summary: str = "", source: str = "") -> RunRow:
    """Add (or replace) one finished run and its calls; returns the run's row."""
    records = list(records)
    labels = labels or RunLabels()
    kinds = {kind_of_record(r, labels) for r in records} or {(labels.kind, labels.time_scale)}
    kind = ", ".join(sorted({k or "unknown" for k, _ in kinds}))
    scales = sorted({s for _, s in kinds if s is not None})
    outcomes = [r.outcome for r in records]
    hosts = sorted({label_of(r, HOST_KEY) or labels.host or "" for r in records} - {""})
    shards = sorted({label_of(r, SHARD_KEY) or labels.shard or "" for r in records} - {""})
    row = RunRow(run_id=run_id, recorded_at=time.time(),
                 started_at=min((r.started_at for r in records), default=labels.started_at),
                 build=labels.build or next((label_of(r, BUILD_KEY) for r in records if label_of(r, BUILD_KEY)), None),
                 kind=kind, time_scale=scales[0] if len(scales) == 1 else None,
                 hosts=", ".join(hosts), shards=", ".join(shards), calls=len(records),
                 passed=outcomes.count(Outcome.PASSED), failed=outcomes.count(Outcome.FAILED),
                 lab_errors=outcomes.count(Outcome.LAB_ERROR),
                 expected_failures=sum(1 for r in records if _expected_failure(r)),
                 gate_failed=gate_failed, gate_summary=gate_summary)
    with connect(path) as db, db:
        db.execute("DELETE FROM calls WHERE run_id = ?", (run_id,))
        db.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (row.run_id, row.recorded_at, row.started_at, labels.finished_at, row.build, row.kind,
                    row.time_scale, row.hosts, row.shards, row.calls, row.passed, row.failed, row.lab_errors,
                    row.expected_failures, None if gate_failed is None else int(gate_failed), gate_summary, source))
        db.executemany("INSERT INTO calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
            (run_id, r.scenario, r.test_id, r.serial, r.model or "unknown model", *versions_of(r), build_of(r),
             r.outcome.value, r.stage.value if r.stage else None, int(_expected_failure(r)), attempt_of(r),
             label_of(r, SHARD_KEY) or labels.shard, label_of(r, HOST_KEY) or labels.host, r.started_at,
             json.dumps({k: round(f.ms, 3) for k, f in r.latencies.items()}))
            for r in records])
    return row


def _run_row(values: tuple[Any, ...]) -> RunRow:
    (run_id, recorded_at, started_at, _finished, build, kind, time_scale, hosts, shards, calls, passed, failed,
     lab_errors, expected, gate_failed, gate_summary, _source) = values
    return RunRow(run_id, recorded_at, started_at, build, kind, time_scale, hosts or "", shards or "", calls, passed,
                  failed, lab_errors, expected, None if gate_failed is None else bool(gate_failed), gate_summary or "")


def read_runs(path: str | Path, *, last: int | None = None) -> list[RunRow]:
    """Runs in the order they started (the last ``last`` of them)."""
    if not Path(path).is_file():
        raise HistoryError(f"{path}: no history there (runs are recorded with --history; default "
                           f"reports/{HISTORY_FILE})")
    with connect(path) as db:
        rows = [_run_row(v) for v in db.execute("SELECT * FROM runs ORDER BY COALESCE(started_at, recorded_at)")]
    return rows[-last:] if last else rows


def read_calls(path: str | Path, run_ids: Iterable[str]) -> list[CallRow]:
    ids = list(run_ids)
    if not ids:
        return []
    with connect(path) as db:
        marks = ",".join("?" * len(ids))
        rows = db.execute(f"SELECT run_id, scenario, test_id, model, build, outcome, expected_failure, attempt, "
                          f"latencies FROM calls WHERE run_id IN ({marks})", ids).fetchall()
    return [CallRow(run_id, scenario, test_id, model, build, outcome, bool(expected), attempt or 1,
                    json.loads(latencies or "{}"))
            for run_id, scenario, test_id, model, build, outcome, expected, attempt, latencies in rows]
