"""pytest side of the report and the gates: options, pytest-html summary/columns/extras, JUnit properties, verdict.

Loaded by :mod:`harness.pytest_plugin.plugin` (``pytest_plugins``). The summary is built from the run's
``results.jsonl`` (complete across xdist workers, so the controller's one pytest-html file shows the whole run);
per-test extras come from the call records the ``call`` fixture keeps on the test item. ``--gates`` /
``--baseline`` judge the same figures at session finish and turn a missed gate into a failed run (exit status 1)
with a table naming every gate missed and by how much. pytest-html hooks are optional (``-p no:html`` still works).

When the plugin manages the run directory (``--run-dir``), ``--junitxml`` and ``--html`` default into it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.config.gates import Gates, load_gates
from harness.errors import ConfigError
from harness.pytest_plugin import hooks
from harness.report.html import call_html, image_data_uri, summary_html
from harness.report.model import RunReport, build_report, report_from_records
from harness.report.svg import esc as cell
from harness.report.verdict import Verdict, judge
from harness.results.load import ResultsFileError, kind_of, load_results, require_same_kind, run_kinds
from harness.results.records import CallRecord
from harness.results.writer import RESULTS_FILE

GATES_KEY = pytest.StashKey[Gates]()
BASELINE_KEY = pytest.StashKey[RunReport]()
VERDICT_KEY = pytest.StashKey[Verdict]()
REPORT_KEY = pytest.StashKey[RunReport]()
OUTCOME_PROPERTY = "wmpf_outcome"
STAGE_PROPERTY = "wmpf_stage"
ROOM_PROPERTY = "wmpf_room_id"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wmpf-hil")
    group.addoption("--gates", default=None, metavar="TOML",
                    help="release gates (e.g. fixtures/gates/default.toml): the run fails, with a table naming "
                         "every gate missed and by how much")
    group.addoption("--baseline", action="append", default=[], metavar="RESULTS",
                    help="an earlier run's results.jsonl (or run directory; repeatable for shards): latencies "
                         "slower beyond the gates file's tolerance (default 20 %%) fail the run")
    group.addoption("--allow-mixed-runs", action="store_true",
                    help="compare against a --baseline of another kind (simulated/hardware) or time scale anyway "
                         "(refused by default: such latencies are not comparable)")
    group.addoption("--no-evidence", action="store_true",
                    help="take no screenshots at ring or failure (logcat excerpts are still kept)")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Before any plugin configures itself: JUnit XML and the HTML report default into ``--run-dir``."""
    run_dir = config.getoption("--run-dir", None)
    if not run_dir:
        return
    if hasattr(config.option, "xmlpath") and not config.option.xmlpath:
        config.option.xmlpath = str(Path(run_dir) / "junit.xml")
    if hasattr(config.option, "htmlpath") and not config.option.htmlpath:
        config.option.htmlpath = str(Path(run_dir) / "report.html")
        config.option.self_contained_html = True


def pytest_configure(config: pytest.Config) -> None:
    if config.option.help or hooks.is_worker(config):
        return
    gates_path = config.getoption("--gates")
    if gates_path:
        try:
            config.stash[GATES_KEY] = load_gates(gates_path)
        except ConfigError as exc:
            raise pytest.UsageError(f"invalid gates file: {exc}") from None
    baseline = config.getoption("--baseline")
    if baseline:
        try:
            loaded = load_results(baseline)
            if not config.getoption("--allow-mixed-runs"):
                require_same_kind([kind_of(*hooks.run_kind(config))], run_kinds(loaded),
                                  f"{', '.join(baseline)} is")
            config.stash[BASELINE_KEY] = build_report(loaded, title="baseline", sources=baseline)
        except ResultsFileError as exc:
            raise pytest.UsageError(f"--baseline: {exc}") from None


# -- per test -------------------------------------------------------------------------------------------------
def _records_of(report: pytest.TestReport) -> list[dict[str, Any]]:
    out = []
    for name, value in getattr(report, "user_properties", ()):
        if name == hooks.CALL_RECORDS_PROPERTY:
            try:
                out.append(json.loads(value) if isinstance(value, str) else dict(value))
            except (ValueError, TypeError):
                continue
    return out


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """JUnit properties (outcome, stage, room of each call) and pytest-html extras for the call phase."""
    records = getattr(item, "wmpf_call_records", None)
    if call.when == "call" and records:
        # on the item, so the teardown report (which junitxml writes properties from) carries them too
        for data in records:
            item.user_properties.append((OUTCOME_PROPERTY, data.get("outcome")))
            item.user_properties.append((STAGE_PROPERTY, data.get("stage") or ""))
            item.user_properties.append((ROOM_PROPERTY, data.get("room_id") or ""))
    report = yield
    if call.when == "call" and records and item.config.pluginmanager.hasplugin("html"):
        report.extras = [*getattr(report, "extras", []), *_extras(item.config, records)]
    return report


def _extras(config: pytest.Config, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from pytest_html import extras

    run_dir = hooks.run_dir_of(config)
    html_path = config.getoption("htmlpath", None)
    link_base = Path(html_path).resolve().parent if html_path else run_dir
    view = report_from_records([CallRecord.from_dict(d) for d in records], run_dir)
    out: list[dict[str, Any]] = []
    for call_view in view.calls:
        out.append(extras.html(call_html(call_view, images=False, link_base=link_base)))
        for label, path in (("ring", call_view.evidence.ring_screenshot),
                            ("failure", call_view.evidence.failure_screenshot)):
            uri = image_data_uri(path)
            if uri:
                out.append(extras.png(uri.split(",", 1)[1], name=f"{call_view.call_id} at {label}"))
        if call_view.evidence.pcap is not None:
            out.append(extras.url(_rel(call_view.evidence.pcap, link_base),
                                  name=f"pcap {call_view.call_id}"))
    return out


def _rel(path: Path, base: Path) -> str:
    import os

    try:
        return Path(os.path.relpath(path.resolve(), base)).as_posix()
    except ValueError:
        return path.resolve().as_uri()


# -- pytest-html table and summary -----------------------------------------------------------------------------
@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(2, '<th class="sortable" data-column-type="wmpfRoom">Room</th>')
    cells.insert(3, '<th class="sortable" data-column-type="wmpfOutcome">Call outcome</th>')
    cells.insert(4, '<th class="sortable" data-column-type="wmpfPushToRing">push_to_ring (ms)</th>')


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    records = _records_of(report)
    rooms = ", ".join(str(r.get("room_id") or "-") for r in records)
    outcomes = ", ".join(str(r.get("outcome")) + (f" at {r['stage']}" if r.get("stage") else "") for r in records)
    ring = [r.get("latencies_ms", {}).get("push_to_ring") for r in records]
    ring_text = ", ".join(f"{v:.0f}" for v in ring if isinstance(v, (int, float)))
    cells.insert(2, f'<td class="col-wmpfRoom">{cell(rooms)}</td>')
    cells.insert(3, f'<td class="col-wmpfOutcome">{cell(outcomes)}</td>')
    cells.insert(4, f'<td class="col-wmpfPushToRing">{cell(ring_text)}</td>')


def run_report(config: pytest.Config) -> RunReport | None:
    """The run's report model from its results.jsonl (cached; None when the run placed no call)."""
    if REPORT_KEY in config.stash:
        return config.stash[REPORT_KEY]
    path = config.stash[hooks.RUN_PATH_KEY] / RESULTS_FILE
    if not path.is_file():
        return None
    report = build_report(load_results([path]), title=f"wmpf-hil run {path.parent.name}", sources=[str(path)])
    config.stash[REPORT_KEY] = report
    return report


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str],
                                session: pytest.Session) -> None:
    config = session.config
    if hooks.RUN_PATH_KEY not in config.stash:
        return
    report = run_report(config)
    if report is not None:
        prefix.append(summary_html(report, config.stash.get(VERDICT_KEY, None)))


# -- the verdict ------------------------------------------------------------------------------------------------
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hooks.is_worker(config) or (GATES_KEY not in config.stash and BASELINE_KEY not in config.stash):
        return
    report = run_report(config) or report_from_records([], title="empty run")
    baseline = config.stash.get(BASELINE_KEY, None)
    verdict = judge(report, config.stash.get(GATES_KEY, None), baseline,
                    ", ".join(config.getoption("--baseline")) if baseline is not None else None)
    config.stash[VERDICT_KEY] = verdict
    if verdict.failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    verdict = config.stash.get(VERDICT_KEY, None)
    if verdict is None:
        return
    terminalreporter.section("wmpf-hil gates", red=verdict.failed, green=not verdict.failed)
    for line in verdict.lines():
        terminalreporter.write_line(line, red=line.startswith("GATES FAILED"))
