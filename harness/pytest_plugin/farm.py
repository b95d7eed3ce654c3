"""Farm runs: shard and host labels on every record, the build label, and the history store.

A nightly run is split across CI hosts with pytest-split (``--splits N --group k``); each host writes its own run
directory, and ``wmpf-hil report --merge-into`` joins them later. So that a merged record still says where it ran,
every record gets ``extra["shard"]``, ``extra["host"]`` and ``extra["build"]`` here (a writer that stamps them),
and the run directory gets ``run_labels.json``. At the end of a run the controller appends the run to the history
(``--history``, default ``history.sqlite`` beside the run directory, i.e. ``reports/history.sqlite``) and redraws
``trend.html`` beside it. Options fall back to environment variables, so a CI file can set them once per job.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from harness.pytest_plugin import hooks
from harness.report.render import render
from harness.report.trend import TREND_FILE
from harness.results.history import HISTORY_FILE, HistoryError, append_run
from harness.results.labels import ATTEMPT_KEY, RunLabels
from harness.results.load import ResultsFileError, load_results
from harness.results.records import CallRecord
from harness.results.writer import RESULTS_FILE, ResultsWriter

log = logging.getLogger("harness.pytest_plugin.farm")
LABELS_KEY = pytest.StashKey[RunLabels]()
NO_HISTORY = ("none", "off", "")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wmpf-hil")
    group.addoption("--shard-label", default=None, metavar="LABEL",
                    help="this run's shard, on every record (default $WMPF_HIL_SHARD, or GROUP/SPLITS under "
                         "pytest-split)")
    group.addoption("--host-label", default=None, metavar="NAME",
                    help="the host driving the devices, on every record (default $WMPF_HIL_HOST or the host name)")
    group.addoption("--build", default=None, metavar="LABEL",
                    help="build label kept with the run in the history (default $WMPF_HIL_BUILD); the WMPF and "
                         "host-app versions read from the device are kept as well")
    group.addoption("--history", default=None, metavar="PATH",
                    help=f"SQLite history the finished run is appended to (default {HISTORY_FILE} beside the run "
                         f"directory, e.g. reports/{HISTORY_FILE}; 'none' to keep no history)")


def _labels(config: pytest.Config) -> RunLabels:
    shard = config.getoption("--shard-label") or os.environ.get("WMPF_HIL_SHARD")
    group, splits = getattr(config.option, "group", None), getattr(config.option, "splits", None)
    if not shard and group and splits:
        shard = f"{group}/{splits}"
    kind, scale = hooks.run_kind(config)
    return RunLabels(shard=shard, host=config.getoption("--host-label") or os.environ.get("WMPF_HIL_HOST")
                     or socket.gethostname(), build=config.getoption("--build") or os.environ.get("WMPF_HIL_BUILD"),
                     kind=kind, time_scale=scale, started_at=time.time())


def pytest_configure(config: pytest.Config) -> None:
    if config.option.help:
        return
    config.stash[LABELS_KEY] = _labels(config)


def labels_of(config: pytest.Config) -> RunLabels:
    return config.stash[LABELS_KEY]


class LabelledWriter(ResultsWriter):
    """The run's results writer, stamping the run's labels and the scenario's attempt into every record."""

    def __init__(self, path: str | Path, stamp: dict[str, Any]) -> None:
        super().__init__(path)
        self.stamp = dict(stamp)
        self.attempt = 1

    def write(self, record: CallRecord | dict[str, Any], *args: Any, **kwargs: Any) -> None:
        if isinstance(record, CallRecord):
            for key, value in self.stamp.items():
                record.extra.setdefault(key, value)
            record.extra.setdefault(ATTEMPT_KEY, self.attempt)
        super().write(record, *args, **kwargs)


def labelled_writer(run_dir: Path, config: pytest.Config) -> LabelledWriter:
    return LabelledWriter(Path(run_dir) / RESULTS_FILE, labels_of(config).stamp())


def history_path(config: pytest.Config) -> Path | None:
    given = config.getoption("--history") or os.environ.get("WMPF_HIL_HISTORY")
    if given is not None and given.lower() in NO_HISTORY:
        return None
    return Path(given) if given else config.stash[hooks.RUN_PATH_KEY].parent / HISTORY_FILE


@pytest.hookimpl(trylast=True)  # after the report plugin's verdict
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hooks.is_worker(config) or LABELS_KEY not in config.stash or hooks.RUN_PATH_KEY not in config.stash:
        return
    run_dir = config.stash[hooks.RUN_PATH_KEY]
    if not (run_dir / RESULTS_FILE).is_file():
        return  # a run that placed no call leaves no directory and no history row
    from harness.pytest_plugin.report import VERDICT_KEY

    labels = labels_of(config)
    verdict = config.stash.get(VERDICT_KEY, None)
    labels.finished_at = time.time()
    labels.gate_failed = None if verdict is None else bool(verdict.failed)
    labels.write(run_dir)
    path = history_path(config)
    if path is None:
        return
    try:
        records = [lr.record for lr in load_results([run_dir])]
        summary = verdict.lines()[-1] if verdict is not None else ""  # "GATES FAILED: 1 missed: ..."
        append_run(path, run_dir.name, records, labels=labels, gate_failed=labels.gate_failed,
                   gate_summary=summary, source=str(run_dir))
        from harness.report.trend import write_trend

        write_trend(path, path.parent / TREND_FILE)
    except (HistoryError, ResultsFileError, OSError) as exc:  # history is a by-product: never fail the run
        log.warning("history not recorded in %s: %s", path, exc)


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    """The run's report links to the trend page drawn beside the history (written when the session ends)."""
    config = session.config
    if LABELS_KEY not in config.stash or hooks.RUN_PATH_KEY not in config.stash:
        return
    path = history_path(config)
    html_path = config.getoption("htmlpath", None)
    if path is None or not html_path:
        return
    href = Path(os.path.relpath(path.parent / TREND_FILE, Path(html_path).resolve().parent)).as_posix()
    prefix.append(str(render("trend_link.html.j2", href=href)))
