"""Run completeness: what the run set out to do (scenarios collected, calls started) against what ended.

Kept in the controller (under xdist the workers' reports, with their call records, come back to it). At the
end of the session an interrupted or cut-short run — SIGINT/SIGTERM, a crashed xdist worker, scenarios not run
because their device was lost, calls started without a record, records the disk refused — is INCOMPLETE: the
terminal summary and ``run.json`` say so with the reasons, the JUnit XML gets an error test case
(``wmpf-hil::run_completeness``), the exit status is non-zero and the gates fail (they read ``run.json``).
A call that ended in a written ``lab_error`` record does not make a run incomplete by itself: the gates'
``[failures] lab_error`` allowance judges those.
``reports/latest`` is moved to the run only here, once its results are written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.results.run_manifest import COMPLETE, INCOMPLETE, RunManifest
from harness.results.writer import RESULTS_FILE, link_latest_to, read_lines

DEVICE_LOST_SKIP = "not run: device lost"
COMPLETENESS_NODEID = "wmpf-hil::run_completeness"


class RunLedger:
    """Counts, in the controller, scenarios collected and finished and the call records the tests reported."""

    def __init__(self, config: pytest.Config, run_dir: Path, lab: str, time_scale: float,
                 record_property: str) -> None:
        self.config = config
        self.run_dir = run_dir
        self.record_property = record_property
        self.manifest = RunManifest(lab=lab, time_scale=time_scale)
        self.finished: set[str] = set()
        self.not_run: set[str] = set()
        self.crashed: list[str] = []
        self.reported: dict[str, dict[str, Any]] = {}  # call_id -> record, from the tests' reports
        self.interrupted = False
        self.started = False

    # -- what the run set out to do ----------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput") and session.items:
            self.manifest.collected = len(session.items)

    def xdist_collected(self, ids: list[str]) -> None:
        self.manifest.collected = max(self.manifest.collected or 0, len(ids))

    def run_started(self) -> None:
        """The run directory exists (the first fixture needed it): say ``running`` until the end is known."""
        if not self.started:
            self.started = True
            self.manifest.write(self.run_dir)

    # -- what ended -----------------------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.started and self.run_dir.is_dir():
            self.run_started()
        for name, value in getattr(report, "user_properties", ()):
            if name == self.record_property:
                try:
                    data = json.loads(value) if isinstance(value, str) else dict(value)
                except (ValueError, TypeError):
                    continue
                self.reported[str(data.get("call_id"))] = data
        if report.skipped and DEVICE_LOST_SKIP in str(report.longrepr):
            self.not_run.add(report.nodeid)
        elif (report.when == "teardown" or (report.when == "setup" and not report.passed)) \
                and report.nodeid != COMPLETENESS_NODEID:
            self.finished.add(report.nodeid)

    def crash(self, nodeid: str) -> None:
        self.crashed.append(nodeid)

    def pytest_keyboard_interrupt(self, excinfo: Any) -> None:
        self.interrupted = True

    # -- the verdict ----------------------------------------------------------------------------------------
    def reasons(self, exitstatus: int) -> list[str]:
        m = self.manifest
        out: list[str] = []
        if self.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED:
            out.append("interrupted (SIGINT or SIGTERM)")
        for nodeid in self.crashed:
            out.append(f"an xdist worker crashed while running {nodeid}")
        if self.not_run:
            out.append(f"{len(self.not_run)} scenario(s) not run: device lost")
        done = len(self.finished - self.not_run)
        if m.collected is not None and done + len(self.not_run) < m.collected:
            out.append(f"{done} of {m.collected} scenarios ran")
        path = self.run_dir / RESULTS_FILE
        written: set[str] = set()
        marked: set[str] = set()
        if path.is_file():
            try:
                for data in read_lines(path):
                    if "mark" in data:
                        marked.add(str(data["mark"]))
                    elif "amend" not in data:
                        written.add(str(data.get("call_id")))
            except (OSError, ValueError) as exc:
                out.append(f"{path} cannot be read back: {exc}")
        m.calls_started = len(marked | set(self.reported))
        m.calls_recorded = len(written)
        lost = marked - written
        if lost:
            out.append(f"{len(lost)} call(s) started without a record in {RESULTS_FILE} (lost to the lab)")
        missing = set(self.reported) - written - lost
        if missing:
            out.append(f"{len(missing)} call record(s) reported by the tests are missing from {RESULTS_FILE} "
                       f"(not written: a full disk?)")
        m.finished = done
        return out

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if not self.run_dir.is_dir():  # the run never started (no call, no fixture needed it): leave no trace
            return
        reasons = self.reasons(int(exitstatus))
        self.manifest.status = INCOMPLETE if reasons else COMPLETE
        self.manifest.reasons = reasons
        try:
            self.manifest.write(self.run_dir)
        except OSError as exc:
            reasons.append(f"run.json not written: {exc}")
        if reasons:
            self._junit_error(reasons)
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if (self.run_dir / RESULTS_FILE).exists() or any(self.run_dir.iterdir()):
            link_latest_to(self.run_dir)

    def _junit_error(self, reasons: list[str]) -> None:
        """One error test case naming why the run is incomplete (JUnit readers see errors, not summaries)."""
        report = pytest.TestReport(nodeid=COMPLETENESS_NODEID, location=("wmpf-hil", None, "run completeness"),
                                   keywords={}, outcome="failed", when="setup",
                                   longrepr="INCOMPLETE: " + "; ".join(reasons))
        self.config.hook.pytest_runtest_logreport(report=report)

    def summary_lines(self) -> list[str]:
        m = self.manifest
        if m.status != INCOMPLETE:
            return []
        return ["INCOMPLETE: " + "; ".join(m.reasons)]
