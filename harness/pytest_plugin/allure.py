"""Allure results for labs that use Allure (``pip install wmpf-hil[allure]``, then ``pytest --alluredir DIR``).

allure-pytest writes the results; this module adds what a call scenario has beyond a pass or a fail: each call's
pcap, its screenshots (at ring, at failure) and the logcat lines around a failure, attached to the test, and a
``categories.json`` that puts lab errors in their own category. Allure calls an assertion "failed" and any other
exception "broken"; a scenario that failed because the lab broke (its records hold a ``lab_error`` and no product
failure) is made "broken" with a message starting ``LAB ERROR``, which the category matches. Inactive (no cost)
without allure-pytest or without ``--alluredir``. Reaches into allure-pytest's listener for the test's result
(``allure_listener``), so allure-pytest is pinned (2.16.2) and a test proves it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from harness.pytest_plugin import hooks
from harness.pytest_plugin.reruns import is_lab_failure
from harness.results.records import EVIDENCE_KEY

log = logging.getLogger("harness.pytest_plugin.allure")
LAB_ERROR_PREFIX = "LAB ERROR"
CATEGORIES = [
    {"name": "Lab errors (not the product)", "matchedStatuses": ["broken", "failed"],
     "messageRegex": f"(?s){LAB_ERROR_PREFIX}.*"},
    {"name": "Product failures", "matchedStatuses": ["failed"]},
    {"name": "Harness errors", "matchedStatuses": ["broken"]},
]


def _alluredir(config: pytest.Config) -> str | None:
    return getattr(config.option, "allure_report_dir", None)


def pytest_configure(config: pytest.Config) -> None:
    directory = _alluredir(config)
    if directory and not hooks.is_worker(config):
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / "categories.json").write_text(json.dumps(CATEGORIES, indent=2) + "\n", encoding="utf-8")


def _attach(config: pytest.Config, records: list[dict[str, Any]]) -> None:
    import allure

    run_dir = hooks.run_dir_of(config)
    for record in records:
        name = f"{record.get('worker') or 'main'}:{record.get('serial')}#{record.get('call_index')}"
        evidence = (record.get("extra") or {}).get(EVIDENCE_KEY) or {}
        capture = (record.get("extra") or {}).get("capture") or {}
        files = [(evidence.get("ring_screenshot"), f"{name} screenshot at ring", allure.attachment_type.PNG),
                 (evidence.get("failure_screenshot"), f"{name} screenshot at failure", allure.attachment_type.PNG),
                 (capture.get("path") if capture.get("available") else None, f"{name} capture",
                  allure.attachment_type.PCAP)]
        for value, label, kind in files:
            if value:
                path = Path(value) if Path(value).is_absolute() else run_dir / value
                if path.is_file():
                    allure.attach.file(str(path), name=label, attachment_type=kind)
        if evidence.get("logcat"):
            allure.attach("\n".join(str(line) for line in evidence["logcat"]), name=f"{name} logcat around the failure",
                          attachment_type=allure.attachment_type.TEXT)
        allure.attach(json.dumps(record, indent=1, ensure_ascii=False), name=f"{name} call record",
                      attachment_type=allure.attachment_type.JSON)


def _mark_lab_error(item: pytest.Item) -> None:
    from allure_commons.model2 import Status, StatusDetails

    listener = item.config.pluginmanager.get_plugin("allure_listener")
    cache = getattr(listener, "_cache", None)
    logger = getattr(listener, "allure_logger", None)
    if cache is None or logger is None:
        log.warning("allure-pytest's listener changed: lab errors are not categorised")
        return
    result = logger.get_test(cache.get(item.nodeid))
    if result is None:
        return
    errors = [str(r.get("error") or "") for r in getattr(item, "wmpf_call_records", ())
              if r.get("outcome") == "lab_error"]
    details = result.statusDetails or StatusDetails()
    details.message = f"{LAB_ERROR_PREFIX}: {'; '.join(e for e in errors if e) or 'the lab failed'}\n\n" \
                      + (details.message or "")
    result.statusDetails = details
    result.status = Status.BROKEN


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: runs after allure-pytest has set the test's status
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if call.when != "call" or not _alluredir(item.config) \
            or not item.config.pluginmanager.has_plugin("allure_listener"):
        return report
    try:
        _attach(item.config, list(getattr(item, "wmpf_call_records", ())))
        if report.failed and is_lab_failure(item, [report]):
            _mark_lab_error(item)
    except Exception as exc:  # Allure is a by-product of the run: never fail a scenario for it
        log.warning("allure attachments for %s: %s", item.nodeid, exc)
    return report
