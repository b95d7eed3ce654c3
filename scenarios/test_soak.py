"""A soak: ``--soak-calls N`` (or ``--soak-hours H`` of device time) calls on one device, back to back or
``--soak-spacing-s`` apart, with the WMPF and host-app processes' memory, threads and fd table sampled between
calls (``dumpsys meminfo`` and ``/proc/PID/status``, readable as the shell user) and stored on the next call's
record. The report draws them over the soak; the gates file's ``[soak]`` limits growth per hundred calls
(a leak). Without either option the scenario is skipped. The test's own report entry keeps the last
:data:`KEEP_IN_MEMORY` calls; every call is in results.jsonl and the run summary.
"""

from __future__ import annotations

import time

import pytest

from harness.call.driver import CallDriver
from harness.device.procstats import sample_processes
from harness.results.records import Outcome
from harness.results.soak import SOAK_KEY, own_rss_kb

pytestmark = [pytest.mark.wmpf_scenario, pytest.mark.soak, pytest.mark.needs_connect, pytest.mark.needs_hang_up]
MAX_SAMPLES = 200  # at most this many samples over the soak: enough for the plot and the slope
# Records kept in memory for the test's report entry: the soak's thousands of calls are in results.jsonl (which
# the summary, plots and gates read); keeping each call's record and evidence in memory too would make the
# harness itself grow with the soak.
KEEP_IN_MEMORY = 50


def test_soak(call: CallDriver, pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> None:
    calls = pytestconfig.getoption("--soak-calls")
    hours = pytestconfig.getoption("--soak-hours")
    if calls is None and hours is None:
        pytest.skip("no soak asked for: pass --soak-calls N or --soak-hours H")
    rig = call.rig
    spacing_s = pytestconfig.getoption("--soak-spacing-s") * min(1.0, rig.time_scale)
    end = time.monotonic() + hours * 3600 * min(1.0, rig.time_scale) if hours is not None else None
    every = max(1, (calls or 1000) // MAX_SAMPLES)
    packages = [rig.profile.wmpf_package, rig.profile.host_package]
    failures: list[str] = []
    index = 0
    while (calls is None or index < calls) and (end is None or time.monotonic() < end):
        extra = {}
        if index % every == 0:
            samples = sample_processes(rig.session, packages)
            extra[SOAK_KEY] = {"index": index, "harness_rss_kb": own_rss_kb(),
                               "processes": {p: s.to_dict() for p, s in samples.items()}}
        else:
            extra[SOAK_KEY] = {"index": index}
        record = call.run(hang_up="device" if index % 2 == 0 else "phone", hold_s=0.0, extra=extra)
        if record.outcome is not Outcome.PASSED:
            failures.append(f"#{index}: {record.outcome.value} {record.stage.value if record.stage else ''} "
                            f"{record.error}")
        index += 1
        del call.records[:-KEEP_IN_MEMORY]
        del getattr(request.node, "wmpf_call_records", [])[:-KEEP_IN_MEMORY]
        if spacing_s:
            time.sleep(spacing_s)
    assert index > 0, "the soak placed no call"
    assert not failures, f"{len(failures)} of {index} soak calls did not pass: " + "; ".join(failures[:10])
