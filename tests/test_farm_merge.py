"""The shard merge on synthetic runs: unlike runs refused, completeness carried over, durations merged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.results.labels import RunLabels
from harness.results.load import incomplete_reasons, load_results
from harness.results.merge import MergeError, merge_runs
from harness.results.writer import read_results
from tests.support.synthetic import write_run

ROOT = Path(__file__).resolve().parents[1]


def _shard(tmp_path: Path, name: str, calls: int, labels: RunLabels, seed: int = 1) -> Path:
    run_dir = write_run(tmp_path / name, calls, seed=seed, screenshots=True).parent
    labels.write(run_dir)
    return run_dir


def test_unlike_runs_are_refused_unless_forced(tmp_path: Path) -> None:
    sim = _shard(tmp_path, "a", 3, RunLabels(shard="1/2", host="h1", kind="simulated", time_scale=0.1))
    hw = _shard(tmp_path, "b", 2, RunLabels(shard="2/2", host="h2", kind="hardware", time_scale=1.0), seed=2)
    with pytest.raises(MergeError, match=r"unlike runs .*1/2: simulated at time scale 0\.1; 2/2: hardware"):
        merge_runs([sim, hw], tmp_path / "merged")
    assert not (tmp_path / "merged" / "results.jsonl").exists()
    result = merge_runs([sim, hw], tmp_path / "forced", allow_mixed=True)
    assert result.records == 5 and result.totals["calls"] == 5
    records = list(read_results(tmp_path / "forced" / "results.jsonl"))
    assert sorted(r["extra"]["host"] for r in records) == ["h1", "h1", "h1", "h2", "h2"]
    for r in records:  # screenshots rebased under shards/<label>/ and present
        assert (tmp_path / "forced" / r["extra"]["evidence"]["ring_screenshot"]).is_file()
    with pytest.raises(MergeError, match="new directory"):
        merge_runs([sim], sim / "inside")


def test_an_incomplete_shard_makes_the_merged_run_incomplete(tmp_path: Path) -> None:
    labels = RunLabels(kind="simulated", time_scale=0.1)
    one, two = _shard(tmp_path, "one", 2, labels), _shard(tmp_path, "two", 2, labels, seed=3)
    (one / "run.json").write_text(json.dumps({"status": "complete", "reasons": [], "collected": 4, "finished": 4,
                                              "calls_started": 2, "calls_recorded": 2}))
    (two / "run.json").write_text(json.dumps({"status": "incomplete", "reasons": ["interrupted"], "collected": 4,
                                              "finished": 1, "calls_started": 2, "calls_recorded": 2}))
    merge_runs([one, two], tmp_path / "merged")
    manifest = json.loads((tmp_path / "merged" / "run.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["reasons"] == ["two: interrupted"]
    assert (manifest["collected"], manifest["finished"]) == (8, 5)
    assert incomplete_reasons(load_results([tmp_path / "merged"])) == ["two: interrupted"]  # what the report reads


def test_durations_merge_keeps_old_figures_and_takes_the_shards_new_ones(tmp_path: Path) -> None:
    base = tmp_path / ".test_durations"
    base.write_text(json.dumps({"t.py::a": 1.0, "t.py::b": 2.0, "t.py::gone": 9.0}))
    shard = tmp_path / "shard"
    shard.mkdir()
    (shard / "test_durations.json").write_text(json.dumps({"t.py::a": 1.5}))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"t.py::c": 3.0}))
    out = subprocess.run([sys.executable, "-m", "harness.cli", "durations", "merge", "--into", str(base), str(shard),
                          str(other)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(base.read_text()) == {"t.py::a": 1.5, "t.py::b": 2.0, "t.py::c": 3.0, "t.py::gone": 9.0}
    bad = subprocess.run([sys.executable, "-m", "harness.cli", "durations", "merge", "--into", str(base),
                          str(tmp_path / "nowhere")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert bad.returncode == 2 and "no durations file" in bad.stderr
