"""End to end: a scenario run on the simulator (child pytest) writes the pytest-html report, JUnit XML with the
call outcome/stage, results.jsonl and evidence into its run directory; a gate below the simulator's latency
fails the run naming the gate; the report opens in headless Chromium with no console errors, plots and
screenshots visible; the device's pushToken appears nowhere under the run directory."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest

from harness.device.adb_server import free_server_port
from harness.results.writer import read_results
from tests.report_helpers import BOXES_JS, chromium, data_pixels, not_blank  # noqa: F401 - fixture
from tests.support.browser import Chromium

ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000"))

SCENARIOS = """
import os
import pytest
from harness.results.records import Outcome, Stage


def _note_token(rig):
    token = rig.faults.phone.device(rig.sn).get("pushToken")  # the simulator's phone bot API
    assert token and len(token) >= 32
    with open(os.environ["WMPF_TEST_TOKEN_FILE"], "a") as fh:
        fh.write(token + "\\n")


def test_answered(call, rig):
    _note_token(rig)
    assert call.run().outcome is Outcome.PASSED


@pytest.mark.failure_proof
def test_caller_never_joins(call, rig, lab_faults):
    lab_faults.caller_plan(joins=False)
    with call.call(expect_failure=Stage.NOT_CONNECTED) as c:
        c.place()
        c.wait_ring()
        c.answer()
        c.wait_connected()
    assert c.record.stage is Stage.NOT_CONNECTED
    _note_token(rig)
"""

TIGHT = """
[latency.push_to_ring]
p50 = 1
[failures]
product = 0
"""


def test_scenario_run_report_junit_gates_and_no_token(pytester: pytest.Pytester, chromium: Chromium) -> None:  # noqa: F811
    pytester.makepyfile(test_scenarios=SCENARIOS)
    (pytester.path / "tight.toml").write_text(TIGHT)
    token_file = pytester.path / "tokens.txt"
    os.environ["WMPF_TEST_TOKEN_FILE"] = str(token_file)
    try:
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--sim-time-scale", "0.1", "--adb-port", str(free_server_port(ADB_PORT + 40)),
            "--sim-base-port", str(DEVICE_PORT + 940), "--run-dir", "run", "--gates", "tight.toml",
            "--net-capture", "device",
            "--log-level", "DEBUG", "-o", "junit_logging=all", timeout=180)
    finally:
        del os.environ["WMPF_TEST_TOKEN_FILE"]
    run = pytester.path / "run"

    # the gate below the simulator's latency fails the run, naming the gate and the miss
    result.assert_outcomes(passed=2)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*wmpf-hil gates*", "*push_to_ring p50*1*MISSED by*",
                                 "*product failures*0*0*ok*", "GATES FAILED: 1 missed: push_to_ring p50"])

    # outputs defaulted into the plugin-managed run directory
    for name in ("report.html", "junit.xml", "results.jsonl"):
        assert (run / name).is_file(), name
    # pytest-html made the run directory before the first call: latest still points at it
    assert (pytester.path / "latest").is_symlink() and (pytester.path / "latest").resolve() == run.resolve()
    records = list(read_results(run / "results.jsonl"))
    assert [r["outcome"] for r in records] == ["passed", "failed"]
    # every record says what kind of run made it; run.json says the run is complete
    assert {(r["lab"], r["time_scale"]) for r in records} == {("simulated", 0.1)}
    manifest = json.loads((run / "run.json").read_text())
    assert (manifest["status"], manifest["collected"], manifest["calls_recorded"]) == ("complete", 2, 2), manifest
    assert (run / records[0]["extra"]["evidence"]["ring_screenshot"]).is_file()
    assert (run / records[1]["extra"]["evidence"]["failure_screenshot"]).is_file()
    assert records[1]["extra"]["evidence"]["logcat"], "no logcat lines around the failure"
    assert records[0]["extra"]["device"]["android"]

    # --net-capture device: each call's pcap kept with the run, analysed into its record
    for record in records:
        capture = record["extra"]["capture"]
        assert capture["available"], capture
        assert (run / capture["path"]).is_file(), capture["path"]  # relative to the run directory
    assert records[0]["extra"]["media"]["verdict"] == "media_both_ways", records[0]["extra"]["media"]
    assert 0 < records[0]["latencies"]["answer_to_media"]["ms"] < 2000

    # JUnit: each test case carries its calls' outcome, stage and room
    cases = {c.get("name"): c for c in ET.parse(run / "junit.xml").getroot().iter("testcase")}
    props = {name: {p.get("name"): p.get("value") for p in case.iter("property")} for name, case in cases.items()}
    assert props["test_caller_never_joins"]["wmpf_outcome"] == "failed"
    assert props["test_caller_never_joins"]["wmpf_stage"] == "not_connected"
    assert props["test_answered"]["wmpf_outcome"] == "passed"
    assert props["test_answered"]["wmpf_room_id"] == records[0]["room_id"]

    # no pushToken anywhere under the run directory (report, JUnit with logs, results, evidence, truth)
    tokens = set(token_file.read_text().split())
    assert tokens
    for path in run.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for token in tokens:
                assert token.encode() not in data, f"pushToken in {path}"

    # the pytest-html report: summary with gates, plots and the tests' screenshots, no console errors
    html = (run / "report.html").read_text()
    assert "GATES FAILED" in html and "push_to_ring CDF" in html
    assert "simulated at time scale 0.1" in html and "INCOMPLETE" not in html
    page = chromium.open(run / "report.html", query="?collapsed=", expression=BOXES_JS)
    assert page.errors == []
    assert page.dialogs == []
    found = json.loads(page.value)
    assert len(found["plots"]) >= 2
    assert data_pixels(page, found["plots"][0]) > 300
    assert data_pixels(page, found["plots"][1]) > 300
    assert found["shots"], "no screenshot visible in the pytest-html report"
    for rect in found["shots"]:
        assert rect["width"] >= 100 and not_blank(page, rect) > 0.3
    assert "Room" in found["text"] and "failed at not_connected" in found["text"]
