"""Merging the shards of one run (one run directory per CI host) into one run directory.

Each shard of a nightly run is a whole run directory written on its own host: ``results.jsonl``, ``junit.xml``,
evidence (screenshots, logcat), pcaps, the simulator's truth, ``run_labels.json``. The merge makes one run of
them, as if one host had run it all::

    MERGED/results.jsonl       every record once, each with its shard and host (extra["shard"], extra["host"])
    MERGED/junit.xml           the shards' JUnit files as one <testsuites>, a suite per shard (junitparser)
    MERGED/shards/<label>/     each shard's files, so every evidence path in a record still resolves
    MERGED/test_durations.json the shards' pytest-split durations, merged (when the shards stored them)
    MERGED/merge.json          which shards and hosts went in, with their counts

Only runs of one kind are merged: simulated and hardware latencies, or two time scales, are different
quantities, so a mix is refused unless the caller forces it (the same rule as ``wmpf-hil report`` baselines).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.results.labels import HOST_KEY, SHARD_KEY, RunLabels, kind_of_record
from harness.results.load import LoadedRecord, ResultsFileError, load_results, resolve_results_path
from harness.results.records import EVIDENCE_KEY, CallRecord, Outcome
from harness.results.writer import RESULTS_FILE, ResultsWriter

SHARDS_DIR = "shards"
JUNIT_FILE = "junit.xml"
DURATIONS_FILE = "test_durations.json"  # what each shard passes to pytest-split's --durations-path
MERGE_FILE = "merge.json"
MANIFEST_FILE = "run.json"  # issue 9a's run manifest (complete / incomplete / running), when the shards have one
NOT_COPIED = {RESULTS_FILE, "report.html"}  # the merged run has its own; a shard's page is large and standalone


class MergeError(ResultsFileError):
    """The shards cannot be merged into one run (unlike runs, the output is one of the inputs...)."""


@dataclass
class ShardSummary:
    label: str
    host: str
    source: str
    calls: int = 0
    passed: int = 0
    failed: int = 0
    lab_errors: int = 0
    tests: int | None = None  # JUnit test cases, when the shard has a junit.xml
    kind: list[str] = field(default_factory=list)


@dataclass
class MergeResult:
    run_dir: Path
    shards: list[ShardSummary]
    records: int
    junit: Path | None
    durations: Path | None

    @property
    def totals(self) -> dict[str, int]:
        keys = ("calls", "passed", "failed", "lab_errors")
        return {k: sum(getattr(s, k) for s in self.shards) for k in keys}


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("._") or "shard"


def _kind_text(kind: str | None, scale: float | None) -> str:
    if kind is None:
        return "unknown kind"
    return kind if kind == "hardware" or scale is None else f"{kind} at time scale {scale:g}"


def shard_kinds(loaded: list[LoadedRecord], labels: RunLabels | None) -> list[str]:
    return sorted({_kind_text(*kind_of_record(lr.record, labels)) for lr in loaded}
                  or ({_kind_text(labels.kind, labels.time_scale)} if labels else set()))


def _prefixed(value: object, prefix: str) -> object:
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return f"{prefix}/{value}"
    return value


def rebase_evidence(record: CallRecord, prefix: str) -> None:
    """Evidence paths are relative to the run directory; the shard's files now sit under ``prefix``."""
    evidence = record.extra.get(EVIDENCE_KEY)
    if isinstance(evidence, dict):
        for key in ("ring_screenshot", "failure_screenshot"):
            if key in evidence:
                evidence[key] = _prefixed(evidence[key], prefix)
    capture = record.extra.get("capture")
    if isinstance(capture, dict) and "path" in capture:
        capture["path"] = _prefixed(capture["path"], prefix)


def merge_junit(files: list[tuple[Path, str, str]], out: Path) -> tuple[Path, dict[Path, int]] | None:
    """``(junit.xml, shard, host)`` files as one document: a suite per shard, named and with properties."""
    from junitparser import JUnitXml, TestSuite

    merged = JUnitXml(name="wmpf-hil merged run")
    counts: dict[Path, int] = {}
    for path, label, host in files:
        try:
            parsed = JUnitXml.fromfile(str(path))
        except Exception as exc:  # junitparser raises lxml/ElementTree errors
            raise MergeError(f"{path}: not a JUnit XML file ({exc})") from None
        suites = [parsed] if isinstance(parsed, TestSuite) else list(parsed)
        counts[path] = 0
        for suite in suites:
            suite.name = f"{suite.name or 'pytest'} [{label} on {host}]"
            suite.add_property("shard", label)
            suite.add_property("host", host)
            counts[path] += sum(1 for _ in suite)
            merged.add_testsuite(suite)
    if not counts:
        return None
    merged.update_statistics()
    merged.write(str(out), pretty=True)
    return out, counts


def merge_durations(files: list[Path], out: Path, base: Path | None = None) -> Path | None:
    """pytest-split durations: the base file (last night's) updated by every shard's fresh figures."""
    merged: dict[str, float] = {}
    for path in ([base] if base is not None and base.is_file() else []) + files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MergeError(f"{path}: not a pytest-split durations file ({exc})") from None
        if isinstance(data, list):  # pytest-split's old list-of-pairs format
            data = dict(data)
        if not isinstance(data, dict):
            raise MergeError(f"{path}: not a pytest-split durations file (expected a JSON object)")
        merged.update({str(k): float(v) for k, v in data.items()})
    if not merged:
        return None
    out.write_text(json.dumps(merged, indent=4, sort_keys=True) + "\n", encoding="utf-8")
    return out


def merge_manifests(shards: list[tuple[str, Path]], out: Path) -> Path | None:
    """One ``run.json`` for the merged run: incomplete when any shard was (its reasons prefixed by the shard), the
    counts summed. Read as plain JSON so the merge does not depend on the manifest's reader; nothing is written
    when no shard has a manifest."""
    found: list[tuple[str, dict[str, Any]]] = []
    for label, directory in shards:
        try:
            found.append((label, json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    if not found:
        return None
    reasons: list[str] = []
    for label, data in found:
        if data.get("status") == "running":
            reasons.append(f"{label}: the run never finished (its run.json still says running)")
        elif data.get("status") == "incomplete":
            reasons.extend(f"{label}: {reason}" for reason in data.get("reasons") or ["incomplete"])
    missing = [label for label, _ in shards if label not in {lb for lb, _ in found}]
    reasons.extend(f"{label}: no run.json (cannot tell whether it finished)" for label in missing)
    merged: dict[str, Any] = {"lab": found[0][1].get("lab"), "time_scale": found[0][1].get("time_scale"),
                              "status": "incomplete" if reasons else "complete", "reasons": reasons}
    for key in ("collected", "finished", "calls_started", "calls_recorded"):
        values = [data.get(key) for _, data in found]
        merged[key] = sum(v for v in values if isinstance(v, int)) if all(isinstance(v, int) for v in values) \
            else None
    path = out / MANIFEST_FILE
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return path


def merge_runs(shard_dirs: list[str | Path], into: str | Path, *, allow_mixed: bool = False,
               durations_base: Path | None = None) -> MergeResult:
    """Merge run directories (one per shard) into ``into`` (created; must not be one of the shards)."""
    if not shard_dirs:
        raise MergeError("no shard directories given")
    out = Path(into)
    dirs = [resolve_results_path(d).parent.resolve() for d in shard_dirs]
    if out.resolve() in dirs or any(out.resolve().is_relative_to(d) for d in dirs):
        raise MergeError(f"{out}: the merged run must be a new directory, not a shard or inside one")
    if (out / RESULTS_FILE).exists():
        raise MergeError(f"{out}: already holds a results.jsonl (merge into a new directory)")
    shards: list[tuple[Path, RunLabels | None, list[LoadedRecord], ShardSummary]] = []
    used: set[str] = set()
    for directory in dirs:
        labels = RunLabels.read(directory)
        loaded = load_results([directory])
        label = (labels.shard if labels and labels.shard else None) or directory.name
        label = next(f"{label}{'' if n == 0 else f'-{n}'}" for n in range(len(dirs) + 1)
                     if f"{label}{'' if n == 0 else f'-{n}'}" not in used)
        used.add(label)
        host = (labels.host if labels and labels.host else None) or "unknown host"
        outcomes = [lr.record.outcome for lr in loaded]
        summary = ShardSummary(label, host, str(directory), len(loaded), outcomes.count(Outcome.PASSED),
                               outcomes.count(Outcome.FAILED), outcomes.count(Outcome.LAB_ERROR),
                               kind=shard_kinds(loaded, labels))
        shards.append((directory, labels, loaded, summary))
    kinds = sorted({k for *_, s in shards for k in s.kind})
    if len(kinds) > 1 and not allow_mixed:
        per_shard = "; ".join(f"{s.label}: {', '.join(s.kind)}" for *_, s in shards)
        raise MergeError(f"the shards are unlike runs ({per_shard}): latencies of a simulated run scale with its "
                         f"time scale and differ from hardware, so they are not merged (force it with "
                         f"--allow-mixed-runs)")
    out.mkdir(parents=True, exist_ok=True)
    junit_files: list[tuple[Path, str, str]] = []
    duration_files: list[Path] = []
    records = 0
    with ResultsWriter.for_run(out) as writer:
        for directory, _labels, loaded, summary in shards:
            prefix = f"{SHARDS_DIR}/{_safe(summary.label)}"
            shutil.copytree(directory, out / prefix, dirs_exist_ok=True, symlinks=True,
                            ignore=lambda _d, names: [n for n in names if n in NOT_COPIED])
            for lr in loaded:
                record = lr.record
                record.extra.setdefault(SHARD_KEY, summary.label)
                record.extra.setdefault(HOST_KEY, summary.host)
                rebase_evidence(record, prefix)
                writer.write(record)
                records += 1
            if (directory / JUNIT_FILE).is_file():
                junit_files.append((directory / JUNIT_FILE, summary.label, summary.host))
            if (directory / DURATIONS_FILE).is_file():
                duration_files.append(directory / DURATIONS_FILE)
    junit = merge_junit(junit_files, out / JUNIT_FILE) if junit_files else None
    if junit is not None:
        for *_, summary in shards:
            summary.tests = junit[1].get(Path(summary.source) / JUNIT_FILE)
    durations = merge_durations(duration_files, out / DURATIONS_FILE, durations_base) if duration_files else None
    first = next((lb for _, lb, *_ in shards if lb is not None), None) or RunLabels()
    starts = [lr.record.started_at for *_, loaded, _ in shards for lr in loaded]
    RunLabels(shard=", ".join(s.label for *_, s in shards), host=", ".join(sorted({s.host for *_, s in shards})),
              build=first.build, kind=first.kind, time_scale=first.time_scale,
              started_at=min(starts) if starts else first.started_at,
              extra={"merged_from": [s.source for *_, s in shards]}).write(out)
    merge_manifests([(s.label, d) for d, *_, s in shards], out)
    result = MergeResult(out, [s for *_, s in shards], records, junit[0] if junit else None, durations)
    (out / MERGE_FILE).write_text(json.dumps({"shards": [asdict(s) for s in result.shards], "totals": result.totals,
                                              "records": records}, indent=2) + "\n", encoding="utf-8")
    return result


def summary_lines(result: MergeResult) -> list[str]:
    lines = [f"merged {len(result.shards)} shard(s) into {result.run_dir}: {result.records} records"]
    for s in result.shards:
        tests = f", {s.tests} tests" if s.tests is not None else ""
        lines.append(f"  {s.label} on {s.host}: {s.calls} calls (passed {s.passed}, failed {s.failed}, "
                     f"lab_error {s.lab_errors}){tests}  <- {s.source}")
    return lines
