"""A series of ``--calls`` standard calls (default small), with latency percentiles printed and saved.

The percentiles of every passed call of the run are also printed in the run summary; this scenario adds
``series.json`` (its own calls only) to the run directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.call.driver import CallDriver
from harness.results.records import Outcome
from harness.results.stats import format_table, latency_table

pytestmark = [pytest.mark.wmpf_scenario, pytest.mark.series, pytest.mark.needs_connect, pytest.mark.needs_hang_up]


def test_series_of_calls(call: CallDriver, pytestconfig: pytest.Config, run_dir: Path) -> None:
    count = pytestconfig.getoption("--calls")
    records = [call.run(hang_up="device" if i % 2 == 0 else "phone") for i in range(count)]
    failures = [f"#{r.call_index}: {r.outcome.value} {r.stage.value if r.stage else ''} {r.error}"
                for r in records if r.outcome is not Outcome.PASSED]
    table = latency_table(r.to_dict() for r in records)
    series = {"calls": count, "lab": call.rig.lab_kind, "time_scale": call.rig.time_scale, "percentiles_ms": table}
    (run_dir / "series.json").write_text(json.dumps(series, indent=2) + "\n")
    print("\n" + "\n".join(format_table(table)))
    assert not failures, f"{len(failures)} of {count} calls did not pass: " + "; ".join(failures)
