"""``run.json``: what a run set out to do and whether it got there, beside its ``results.jsonl``.

Records alone cannot show what is *missing*: scenarios never run after an interrupt, a worker that crashed, a
record the disk refused. The controller writes this file when the run starts (status ``running``) and again when
it ends (``complete`` or ``incomplete`` with the reasons), each time to a temporary name renamed over the old
one. A reader that finds ``running`` knows the run itself was killed. The report and the gates read it, so an
incomplete run cannot pass its gates.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RUN_FILE = "run.json"
RUNNING, COMPLETE, INCOMPLETE = "running", "complete", "incomplete"


@dataclass
class RunManifest:
    lab: str | None = None  # "simulated" or "hardware"
    time_scale: float | None = None
    status: str = RUNNING
    reasons: list[str] = field(default_factory=list)  # why the run is incomplete
    collected: int | None = None  # scenarios (test items) the run set out to run
    finished: int = 0  # of those, how many ran to an outcome (a "not run: device lost" skip does not count)
    calls_started: int = 0
    calls_recorded: int = 0

    @property
    def incomplete_reasons(self) -> list[str]:
        if self.status == RUNNING:
            return ["the run never finished (its run.json still says running: the harness itself was killed)"]
        return list(self.reasons) if self.status == INCOMPLETE else []

    def write(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / RUN_FILE
        tmp = path.with_name(f".{RUN_FILE}.{os.getpid()}")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def read(cls, run_dir: str | Path) -> RunManifest | None:
        """The manifest of a run directory, or None (a run from before manifests, or a bare results file)."""
        path = Path(run_dir) / RUN_FILE
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
