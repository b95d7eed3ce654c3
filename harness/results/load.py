"""Reading call records back from one or more ``results.jsonl`` files (shards of one run, or several runs).

Each record is rebuilt through :meth:`CallRecord.from_dict` (the one record model, so a report cannot drift from
what the harness writes) and remembers the directory of the file it came from: evidence paths in a record
(screenshots, logcat excerpts, pcaps) are relative to its run directory, and a shard copied from another CI host
brings its evidence along beside its own results file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.results.records import CallRecord
from harness.results.run_manifest import RunManifest
from harness.results.writer import LOST, RESULTS_FILE, read_results


class ResultsFileError(HarnessError):
    """A results file (or directory) given to the report or the gates cannot be read."""


@dataclass
class LoadedRecord:
    record: CallRecord
    base_dir: Path  # the directory of the results file: evidence paths are relative to it

    @property
    def key(self) -> tuple[object, ...]:
        """Identity of a call across shards: the same line read twice (one file given twice, or a results file
        appended by several workers and also split per worker) is one call."""
        r = self.record
        return (r.serial, r.worker, r.call_index, r.scenario, r.test_id, round(r.started_at, 6))


def resolve_results_path(path: str | Path) -> Path:
    """A results file, or a run directory holding ``results.jsonl``."""
    candidate = Path(path)
    if candidate.is_dir():
        candidate = candidate / RESULTS_FILE
    if not candidate.is_file():
        raise ResultsFileError(f"{path}: no results file there (expected a results.jsonl or a run directory "
                               f"containing one)")
    return candidate


def load_results(paths: list[str | Path] | tuple[str | Path, ...]) -> list[LoadedRecord]:
    """Every call of ``paths`` (merged, duplicates dropped), in the order the calls started."""
    if not paths:
        raise ResultsFileError("no results files given")
    seen: set[tuple[object, ...]] = set()
    out: list[LoadedRecord] = []
    for given in paths:
        path = resolve_results_path(given)
        try:
            for number, data in enumerate(read_results(path), start=1):
                try:
                    loaded = LoadedRecord(CallRecord.from_dict(data), path.parent.resolve())
                except (KeyError, ValueError, TypeError) as exc:
                    raise ResultsFileError(f"{path}: record {number} is not a call record: {exc!r}") from None
                if loaded.key not in seen:
                    seen.add(loaded.key)
                    out.append(loaded)
        except json.JSONDecodeError as exc:
            raise ResultsFileError(f"{path}: not JSON lines ({exc})") from None
        except OSError as exc:
            raise ResultsFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    out.sort(key=lambda lr: (lr.record.started_at, lr.record.serial, lr.record.call_index))
    return out


def incomplete_reasons(loaded: list[LoadedRecord], base_dirs: list[Path] | None = None) -> list[str]:
    """Why the runs behind ``loaded`` are incomplete: their ``run.json`` (interrupted, cut short, still
    running) and calls that started without a record. Empty: nothing is known to be missing. ``base_dirs``:
    the run directories to read (default: those of the records; ``[]``: read none)."""
    dirs = list(dict.fromkeys(lr.base_dir for lr in loaded)) if base_dirs is None else list(base_dirs)
    out: list[str] = []
    for directory in dirs:
        manifest = RunManifest.read(directory)
        if manifest is not None:
            prefix = f"{directory.name}: " if len(dirs) > 1 else ""
            out.extend(prefix + reason for reason in manifest.incomplete_reasons)
    lost = [lr for lr in loaded if lr.record.extra.get(LOST)]
    if lost and not any("without a record" in reason for reason in out):
        out.append(f"{len(lost)} call(s) started without a record (lost to the lab)")
    return out


def run_kinds(loaded: list[LoadedRecord]) -> list[str]:
    """The distinct kinds of run behind the records: ``simulated at time scale 0.1``, ``hardware``..."""
    return sorted({kind_of(lr.record.lab, lr.record.time_scale) for lr in loaded})


def kind_of(lab: str | None, time_scale: float | None) -> str:
    if lab is None:
        return "kind not recorded"
    if lab == "hardware":
        return "hardware"
    return f"{lab} at time scale {time_scale:g}" if time_scale is not None else lab


def require_same_kind(current: list[str], other: list[str], what: str) -> None:
    """Refuse to compare or merge runs of different kinds or time scales, saying why."""
    if current and other and set(current) != set(other):
        raise MixedRunsError(f"{what} {', '.join(other)}, this run is {', '.join(current)}: latencies of a "
                             f"simulated run scale with its time scale and differ from hardware, so they are not "
                             f"comparable (pass --allow-mixed-runs to compare anyway)")


class MixedRunsError(ResultsFileError):
    """Runs of different kinds (simulated/hardware) or time scales would be compared or merged."""
