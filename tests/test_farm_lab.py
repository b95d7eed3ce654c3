"""The lab inventory (``wmpf-hil lab check/plan``), ``--lab-reruns`` and the Allure attachments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config.lab_file import LabFileError, load_lab
from harness.config.locations import FIXTURES_DIR
from harness.device.adb_server import free_server_port
from harness.results.writer import read_results

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = FIXTURES_DIR / "labs" / "example.toml"
ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


def test_example_lab_is_valid_and_planned_in_proportion_to_devices() -> None:
    assert _cli("lab", "check", str(EXAMPLE)).returncode == 0
    plan = json.loads(_cli("lab", "plan", str(EXAMPLE), "--shards", "3", "--json").stdout)
    assert [(g["group"], g["host"]) for g in plan] == [(1, "runner-a"), (2, "runner-a"), (3, "runner-b")]
    assert plan[2]["runner_labels"] == ["self-hosted", "linux", "wmpf-pool-b"]
    command = _cli("lab", "plan", str(EXAMPLE), "--shards", "3", "--group", "1", "--command").stdout.split()
    for expected in (["--splits", "3"], ["--group", "1"], ["--host-label", "runner-a"], ["-n", "2"],
                     ["--serial", "R58M41ABCDE"], ["--serial", "R58M41ABCDF"], ["--shard-label", "1/3"]):
        assert any(command[i:i + 2] == expected for i in range(len(command))), expected


def test_invalid_lab_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "lab.toml"
    bad.write_text('[lab]\nname = "x"\n\n[[hosts]]\nname = "a"\ncolour = "red"\n[[hosts.devices]]\nserial = "S1"\n'
                   'model = "M"\n\n[[hosts]]\nname = "b"\ndevices = []\n')
    with pytest.raises(LabFileError) as caught:
        load_lab(bad)
    keys = [key for key, _ in caught.value.problems]
    assert "hosts[0].colour" in keys and "hosts[1].devices" in keys
    dup = tmp_path / "dup.toml"
    dup.write_text('[lab]\nname = "x"\n[[hosts]]\nname = "a"\n[[hosts.devices]]\nserial = "S1"\nmodel = "M"\n'
                   '[[hosts]]\nname = "b"\n[[hosts.devices]]\nserial = "S1"\nmodel = "M"\n')
    out = _cli("lab", "check", str(dup))
    assert out.returncode == 2 and "hosts[1].devices[0].serial: serial 'S1' is also hosts[0].devices[0].serial" \
        in out.stderr
    missing_profile = tmp_path / "prof.toml"
    missing_profile.write_text('[lab]\nname = "x"\napp_profile = "nope"\n[[hosts]]\nname = "a"\n'
                               '[[hosts.devices]]\nserial = "S1"\nmodel = "M"\n')
    out = _cli("lab", "check", str(missing_profile))
    assert out.returncode == 2 and "app profile 'nope'" in out.stderr


SCENARIOS = '''
import itertools

import pytest

from harness.call.driver import CallFailed
from harness.results.records import Outcome, Stage

pytestmark = pytest.mark.wmpf_scenario
_attempts = itertools.count(1)


def test_lab_error_then_pass(call):
    if next(_attempts) == 1:
        with call.call() as c:
            raise ConnectionError("the adb link dropped (deliberate)")
        record = c.record
    else:
        record = call.run()
    assert record.outcome is Outcome.PASSED, record.error


def test_product_failure_never_rerun(call):
    with call.call() as c:
        raise CallFailed(Stage.NO_RING, "no ring (deliberate)")
    assert c.record.outcome is Outcome.PASSED, c.record.error
'''


def _run(pytester: pytest.Pytester, offset: int, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--sim-time-scale", "0.1", "--run-dir", "run", "--history", "none",
        "--adb-port", str(free_server_port(ADB_PORT + 700 + offset)), "--sim-base-port",
        str(DEVICE_PORT + 9000 + offset), *args)


def test_lab_reruns_retry_lab_errors_only_and_keep_every_attempt(pytester: pytest.Pytester) -> None:
    result = _run(pytester, 0, "--lab-reruns", "2", "--junitxml", "junit.xml")
    assert result.parseoutcomes() == {"passed": 1, "failed": 1, "rerun": 1}, result.stdout.str()[-3000:]
    records = list(read_results(pytester.path / "run" / "results.jsonl"))
    lab = [(r["outcome"], r["extra"]["attempt"]) for r in records if r["scenario"] == "test_lab_error_then_pass"]
    assert lab == [("lab_error", 1), ("passed", 2)]
    product = [(r["outcome"], r["extra"]["attempt"]) for r in records
               if r["scenario"] == "test_product_failure_never_rerun"]
    assert product == [("failed", 1)]
    junit = (pytester.path / "junit.xml").read_text()
    assert junit.count('name="test_lab_error_then_pass"') == 1
    html = (pytester.path / "run" / "report.html").read_text()
    assert "were run again (--lab-reruns)" in html


def test_allure_attachments_and_lab_error_category(pytester: pytest.Pytester) -> None:
    result = _run(pytester, 100, "--alluredir", "allure")
    result.assert_outcomes(failed=2)
    allure_dir = pytester.path / "allure"
    categories = json.loads((allure_dir / "categories.json").read_text())
    assert categories[0]["name"].startswith("Lab errors")
    results = {r["name"]: r for r in (json.loads(p.read_text()) for p in allure_dir.glob("*-result.json"))}
    lab, product = results["test_lab_error_then_pass"], results["test_product_failure_never_rerun"]
    assert lab["status"] == "broken" and lab["statusDetails"]["message"].startswith("LAB ERROR: ConnectionError")
    assert product["status"] == "failed" and not product["statusDetails"]["message"].startswith("LAB ERROR")
    names = [a["name"] for a in product.get("attachments", [])]
    assert any(n.endswith("call record") for n in names), names
    assert any(n.endswith("screenshot at failure") for n in names), names
    for attachment in product["attachments"]:
        assert (allure_dir / attachment["source"]).is_file()
