"""``--lab-reruns N``: a scenario that failed because the lab broke is run again, up to N times; a product
failure never is.

What counts as a lab error is what the call records say: the scenario's call phase failed and its calls include
a ``lab_error`` and no product failure (or the test raised one of the driver's lab exceptions outside a call). A
retried attempt's report has the outcome ``rerun`` (``R`` in the terminal, like pytest-rerunfailures), its call
records stay in ``results.jsonl`` with ``extra["attempt"]`` = 1, 2... and the report shows them as retried
attempts. Between attempts the session's fixtures (the lab, the device session, the rig) are kept: only the
test's own fixtures are torn down and set up again, so a rerun does not restart the simulator or the adb server.

pytest-rerunfailures (``--reruns``/``--only-rerun``) would rerun on an exception's text, and tears session fixtures
down between reruns; this plugin reruns on the record's outcome, the harness's own definition of a lab error.
"""

from __future__ import annotations

from typing import Any

import pytest
from _pytest.runner import call_and_report, show_test_item

from harness.call.driver import LAB_EXCEPTIONS
from harness.results.records import Outcome

RERUN = "rerun"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("wmpf-hil").addoption(
        "--lab-reruns", type=int, default=0, metavar="N",
        help="run a scenario again (up to N times) when it failed by a lab error; product failures are never rerun")


def pytest_configure(config: pytest.Config) -> None:
    if not config.option.help and config.getoption("--lab-reruns") < 0:
        raise pytest.UsageError(f"--lab-reruns {config.getoption('--lab-reruns')}: must be 0 or more")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if call.when == "call" and call.excinfo is not None:
        item.wmpf_lab_exception = call.excinfo.errisinstance(LAB_EXCEPTIONS)  # type: ignore[attr-defined]
    return report


def is_lab_failure(item: pytest.Item, reports: list[pytest.TestReport]) -> bool:
    """The call phase failed, and by the lab: its records hold a lab error and no product failure."""
    call = next((r for r in reports if r.when == "call"), None)
    if call is None or not call.failed:
        return False
    outcomes = {str(r.get("outcome")) for r in getattr(item, "wmpf_call_records", ())}
    if Outcome.FAILED.value in outcomes:
        return False
    return Outcome.LAB_ERROR.value in outcomes or bool(getattr(item, "wmpf_lab_exception", False))


def _attempt(item: pytest.Item, nextitem: pytest.Item | None, may_retry: bool) -> tuple[list[pytest.TestReport], bool]:
    """One run of the item's phases (as pytest's runtestprotocol does), deciding before teardown whether to retry:
    a retried item tears down only down to itself, so session and module fixtures stay up."""
    hasrequest = hasattr(item, "_request")
    if hasrequest and not item._request:  # type: ignore[attr-defined]
        item._initrequest()  # type: ignore[attr-defined]
    for stale in ("wmpf_call_records", "wmpf_lab_exception"):
        if hasattr(item, stale):
            delattr(item, stale)
    reports = [call_and_report(item, "setup", log=False)]
    if reports[0].passed:
        if item.config.getoption("setupshow", False):
            show_test_item(item)
        if not item.config.getoption("setuponly", False):
            reports.append(call_and_report(item, "call", log=False))
    retry = may_retry and is_lab_failure(item, reports)
    # retrying: tear down down to the item's parent (its own fixtures go, the module's and session's stay)
    reports.append(call_and_report(item, "teardown", log=False, nextitem=item.parent if retry else nextitem))
    if hasrequest:
        item._request = False  # type: ignore[attr-defined]
        item.funcargs = None  # type: ignore[attr-defined]
    return reports, retry


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    reruns = item.config.getoption("--lab-reruns", 0)
    if not reruns:
        return None  # pytest's own protocol
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    attempt = 1
    while True:
        item.wmpf_attempt = attempt  # type: ignore[attr-defined]  # read by the call fixture
        reports, retry = _attempt(item, nextitem, may_retry=attempt <= reruns)
        for report in reports:
            report.user_properties.append(("wmpf_attempt", attempt))
            if retry:
                if report.when == "teardown":
                    continue  # the test case stays open (one JUnit test case per scenario, attempts inside)
                if report.failed:
                    report.outcome = RERUN  # type: ignore[assignment]
            ihook.pytest_runtest_logreport(report=report)
        if not retry:
            break
        attempt += 1
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, tuple[str, dict[str, Any]]] | None:
    if report.outcome == RERUN:
        return RERUN, "R", ("RERUN (lab error)", {"yellow": True})
    return None
