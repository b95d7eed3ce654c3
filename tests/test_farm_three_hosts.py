"""Proof on one machine that a farm run splits and merges: three "hosts", one merged run.

Three pytest processes stand for three CI hosts: each has its own adb server, its own simulated devices (its own
ports), its own run directory and host label, and runs one pytest-split group of the scenario suite (at time
scale 0.1, like ``make run``). ``wmpf-hil report --merge-into`` then makes one run of the three; the merged run
must hold every scenario once (JUnit) and every call record exactly once, with counts equal to the shards' sums.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.device.adb_server import free_server_port
from harness.results.labels import HOST_KEY, SHARD_KEY
from harness.results.writer import read_results

ROOT = Path(__file__).resolve().parents[1]
ADB_PORT = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_TEST_DEVICE_PORT", "20000"))
HOSTS = 3


def _testcases(junit: Path) -> list[tuple[str, str]]:
    return [(c.get("classname", ""), c.get("name", "")) for c in ET.parse(junit).getroot().iter("testcase")]


def _collected() -> set[tuple[str, str]]:
    out = subprocess.run([sys.executable, "-m", "pytest", "scenarios", "--collect-only", "-q",
                          "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    ids = [line for line in out.stdout.splitlines() if "::" in line]
    return {(nodeid.split("::")[0].removesuffix(".py").replace("/", "."), nodeid.split("::", 1)[1]) for nodeid in ids}


def test_three_hosts_split_the_suite_and_merge_into_one_run(tmp_path: Path) -> None:
    procs = []
    dirs = []
    adb_port = ADB_PORT + 200
    for k in range(1, HOSTS + 1):
        adb_port = free_server_port(adb_port + 1)
        run_dir = tmp_path / f"host-{k}" / "shard"
        dirs.append(run_dir)
        env = {**os.environ, "WMPF_HIL_HOST": f"host-{k}"}
        cmd = [sys.executable, "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-q",
               "--splits", str(HOSTS), "--group", str(k), "--splitting-algorithm", "least_duration",
               "--store-durations", "--clean-durations", "--durations-path", str(run_dir / "test_durations.json"),
               "--run-dir", str(run_dir), "--sim-time-scale", "0.1", "--net-capture", "device",
               "--adb-port", str(adb_port), "--sim-base-port", str(DEVICE_PORT + 3000 + 1000 * k)]
        log = (tmp_path / f"host-{k}.log").open("w")
        procs.append((subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    for proc, log in procs:
        proc.wait(timeout=600)
        log.close()
    for k, (proc, _) in enumerate(procs, start=1):
        assert proc.returncode == 0, (tmp_path / f"host-{k}.log").read_text()[-3000:]

    merged = tmp_path / "merged"
    out = subprocess.run([sys.executable, "-m", "harness.cli", "report", *map(str, dirs), "--merge-into", str(merged),
                          "--history", str(tmp_path / "farm-history.sqlite"), "--build", "nightly-test"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr

    # every scenario once: the merged JUnit holds each collected test exactly once, a suite per shard
    cases = _testcases(merged / "junit.xml")
    assert len(cases) == len(set(cases)), "a scenario appears twice in the merged JUnit"
    assert set(cases) == _collected()
    assert len(cases) == sum(len(_testcases(d / "junit.xml")) for d in dirs)
    suites = ET.parse(merged / "junit.xml").getroot().findall("testsuite")
    assert len(suites) == HOSTS
    assert {p.get("value") for s in suites for p in s.iter("property") if p.get("name") == "host"} == \
        {f"host-{k}" for k in range(1, HOSTS + 1)}

    # every record exactly once, with its shard and host; counts are the shards' sums
    shard_records = [list(read_results(d / "results.jsonl")) for d in dirs]
    records = list(read_results(merged / "results.jsonl"))
    assert len(records) == sum(len(r) for r in shard_records) > 0
    keys = [(r["extra"][SHARD_KEY], r.get("worker"), r["serial"], r["call_index"], r["started_at"]) for r in records]
    assert len(keys) == len(set(keys)), "a record appears twice in the merged run"
    for k, shard in enumerate(shard_records, start=1):
        mine = [r for r in records if r["extra"][HOST_KEY] == f"host-{k}"]
        assert len(mine) == len(shard)
        assert {r["extra"][SHARD_KEY] for r in mine} == {f"{k}/{HOSTS}"}
        assert sorted(r["started_at"] for r in mine) == sorted(r["started_at"] for r in shard)
    summary = json.loads((merged / "merge.json").read_text())
    for outcome, key in (("passed", "passed"), ("failed", "failed"), ("lab_error", "lab_errors")):
        expected = sum(1 for shard in shard_records for r in shard if r["outcome"] == outcome)
        assert summary["totals"][key] == expected == sum(1 for r in records if r["outcome"] == outcome)
    page = (merged / "report.html").read_text()
    assert f"<b>{len(records)}</b> calls" in page
    # the merged run's page links the trend page drawn beside the history it was appended to
    assert '<a href="../trend.html">Trend over recorded runs</a>' in page
    assert "nightly-test" in (tmp_path / "trend.html").read_text()

    # evidence and pcaps came along: every path in a merged record resolves inside the merged run
    paths = [p for r in records for p in ((r["extra"].get("evidence") or {}).get("ring_screenshot"),
                                         (r["extra"].get("capture") or {}).get("path")) if p]
    assert paths, "the scenarios took no screenshot and no capture"
    missing = [p for p in paths if not (merged / p).is_file()]
    assert not missing, f"evidence not merged: {missing[:5]}"

    # pytest-split's durations: every test of the suite timed, from the shard that ran it
    durations = json.loads((merged / "test_durations.json").read_text())
    assert len(durations) == len(cases)

    # the merged run went into the history as one run
    trend = subprocess.run([sys.executable, "-m", "harness.cli", "trend", "--history",
                            str(tmp_path / "farm-history.sqlite"), "-o", str(tmp_path / "trend.html")],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert trend.returncode == 0 and trend.stdout.startswith("1 runs"), trend.stdout + trend.stderr
