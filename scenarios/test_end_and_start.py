"""After the call and before it: each end mode the app may use, and cold versus warm Mini Program starts.

End modes (call-wmpf.html §3): the end page (``setVoipEndPagePath``), the background
(``closeWxaApp(keepRunning=true)``) and exit (``wx.exitMiniProgram``). A real device is configured with one;
there the other modes skip. On the simulator each mode runs on a device configured for it.
"""

from __future__ import annotations

import dataclasses

import pytest

from harness.call.driver import CallDriver
from harness.device.wmpf import kill_pids, wmpf_process_pids
from harness.pytest_plugin.variants import Variants
from harness.results.records import Outcome

pytestmark = pytest.mark.wmpf_scenario


@pytest.mark.needs_connect
@pytest.mark.needs_hang_up
@pytest.mark.parametrize("mode", ["end_page", "background", "exit"])
def test_end_mode(call: CallDriver, variants: Variants, mode: str) -> None:
    rig = call.rig
    if mode != rig.profile.end_mode:
        if not variants.simulated:
            pytest.skip(f"needs end mode {mode!r}: this device's app ends calls with {rig.profile.end_mode!r} "
                        f"(app profile); run on a device configured for {mode!r}")
        rig = variants.start({"call": {"end_mode": mode}}, dataclasses.replace(rig.profile, end_mode=mode))
    driver = call.on(rig)
    first = driver.run()
    assert first.outcome is Outcome.PASSED, first.error
    assert first.extra["end_mode"] == mode
    if mode == "end_page":
        assert first.extra["foreground_after_end"] == rig.profile.wmpf_package
    else:
        assert first.extra["foreground_after_end"] != rig.profile.wmpf_package
    second = driver.run(hang_up="phone")
    assert second.outcome is Outcome.PASSED, f"the call after an {mode!r} end did not pass: {second.error}"


@pytest.mark.needs_connect
def test_cold_versus_warm_start(call: CallDriver) -> None:
    """Kill the Mini Program's process: the next answer is a cold start; the one after (kept running) is warm."""
    rig = call.rig
    killed = kill_pids(rig.session, wmpf_process_pids(rig.session, rig.profile.wmpf_package, mini_program_only=True))
    assert killed, "no WMPF Mini Program (appbrand) process to kill"
    cold = call.run(extra={"start": "cold"})
    warm = call.run(extra={"start": "warm"})
    assert cold.outcome is Outcome.PASSED, cold.error
    assert warm.outcome is Outcome.PASSED, warm.error
    cold_ms = cold.latencies["ring_to_answer"].ms
    warm_ms = warm.latencies["ring_to_answer"].ms
    print(f"ring_to_answer: cold {cold_ms:.1f} ms, warm {warm_ms:.1f} ms")
    if rig.profile.end_mode != "exit":  # an app that exits after each call starts cold every time
        assert cold_ms > warm_ms, f"cold start ({cold_ms:.1f} ms) not slower than warm ({warm_ms:.1f} ms)"
