"""Where a call ran and for which build: the labels every record of a farm run carries in ``record.extra``.

A nightly run is split over several CI hosts (shards); once the shards are merged, a record must still say which
shard and host made it, which build it tested and which attempt it was (a lab error is run again, and every
attempt stays a record). The labels live in ``extra`` (not new record fields) so that a results file written
before them reads the same, and ``run_labels.json`` beside ``results.jsonl`` keeps the run-wide ones for a reader
that has no record (an empty shard) or a record from before the labels.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.results.records import DEVICE_KEY, CallRecord

SHARD_KEY = "shard"  # extra["shard"]: the shard label (a CI job of the matrix), e.g. "2/3"
HOST_KEY = "host"  # extra["host"]: the host (CI runner) that drove the device
BUILD_KEY = "build"  # extra["build"]: the --build label of the run (e.g. a CI pipeline's build name)
ATTEMPT_KEY = "attempt"  # extra["attempt"]: 1 for the first run of a scenario, 2.. for --lab-reruns attempts
RETRIED_KEY = "retried"  # extra["retried"]: True when this attempt ended in a lab error and was run again
RUN_LABELS_FILE = "run_labels.json"


@dataclass
class RunLabels:
    """The run-wide labels of one run directory (one shard): written at start, rewritten at the end."""

    shard: str | None = None
    host: str | None = None
    build: str | None = None
    kind: str | None = None  # "simulated" or "hardware" (records carry it too once issue 9a's fields exist)
    time_scale: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    gate_failed: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def stamp(self) -> dict[str, Any]:
        """What goes into every record's ``extra``."""
        return {k: v for k, v in ((SHARD_KEY, self.shard), (HOST_KEY, self.host), (BUILD_KEY, self.build))
                if v is not None}

    def write(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / RUN_LABELS_FILE
        tmp = path.with_name(f".{RUN_LABELS_FILE}.{os.getpid()}")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def read(cls, run_dir: str | Path) -> RunLabels | None:
        try:
            data = json.loads((Path(run_dir) / RUN_LABELS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def label_of(record: CallRecord, key: str) -> str | None:
    value = record.extra.get(key)
    return None if value in (None, "") else str(value)


def attempt_of(record: CallRecord) -> int:
    try:
        return int(record.extra.get(ATTEMPT_KEY) or 1)
    except (TypeError, ValueError):
        return 1


def kind_of_record(record: CallRecord, labels: RunLabels | None = None) -> tuple[str | None, float | None]:
    """(kind, time scale) of a record: its own fields when it has them (issue 9a), else its run's labels."""
    kind = getattr(record, "lab", None) or (labels.kind if labels else None)
    scale = getattr(record, "time_scale", None)
    if scale is None and labels is not None:
        scale = labels.time_scale
    return kind, scale


def versions_of(record: CallRecord) -> tuple[str | None, str | None]:
    """(WMPF version, host-app version) as read from the device by the evidence collector."""
    details = record.extra.get(DEVICE_KEY) or {}
    wmpf = details.get("wmpf_version") or None
    host = details.get("host_app_version") or details.get("host_version") or None
    return (str(wmpf) if wmpf else None, str(host) if host else None)


def build_of(record: CallRecord) -> str:
    """The build a call tested: the run's --build label and the versions read from the device."""
    wmpf, host = versions_of(record)
    parts = [label_of(record, BUILD_KEY) or "", f"wmpf {wmpf}" if wmpf else "", f"host {host}" if host else ""]
    return " / ".join(p for p in parts if p) or "unknown build"
