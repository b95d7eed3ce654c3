"""After the call and before it: each end mode the app may use, and cold versus warm Mini Program starts.

End modes (call-wmpf.html §3): the end page (``setVoipEndPagePath``), the background
(``closeWxaApp(keepRunning=true)``) and exit (``wx.exitMiniProgram``). A real device is built with one; there
the other modes skip. On the simulator each other mode runs on a simulated device profile built for it
(``fixtures/devices/wmpf-tablet-end-page.toml``, ``-exit``), described by the app profile of the same name.
"""

from __future__ import annotations

import pytest

from harness.call.driver import CallDriver
from harness.call.recovery import stop_mini_program
from harness.pytest_plugin.variants import Variants
from harness.results.records import Outcome

pytestmark = pytest.mark.wmpf_scenario
# Simulated device profile and the app profile that describes it, per end mode.
VARIANT_DEVICES = {"end_page": ("wmpf-tablet-end-page", "wmpf-tablet-end-page"),
                   "exit": ("wmpf-tablet-exit", "wmpf-tablet-exit"), "background": ("wmpf-tablet", "wmpf-sim-tablet")}


@pytest.mark.needs_connect
@pytest.mark.needs_hang_up
@pytest.mark.parametrize("mode", ["end_page", "background", "exit"])
def test_end_mode(call: CallDriver, variants: Variants, mode: str) -> None:
    rig = call.rig
    if mode != rig.profile.end_mode:
        if not variants.can_start_devices:
            pytest.skip(f"capability: end mode {mode!r} -- this device's app ends calls with "
                        f"{rig.profile.end_mode!r} (app profile call.end_mode)")
        rig = variants.device(*VARIANT_DEVICES[mode])
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
    """Kill the Mini Program's process: the next answer is a cold start; the one after (kept running) is warm.

    Without root the whole of WMPF is force-stopped and waited back instead (recorded in ``cold_start_by``)."""
    rig = call.rig
    how = stop_mini_program(rig)
    cold = call.run(extra={"start": "cold", "cold_start_by": how})
    warm = call.run(extra={"start": "warm"})
    assert cold.outcome is Outcome.PASSED, cold.error
    assert warm.outcome is Outcome.PASSED, warm.error
    cold_ms = cold.latencies["ring_to_answer"].ms
    warm_ms = warm.latencies["ring_to_answer"].ms
    print(f"ring_to_answer: cold {cold_ms:.1f} ms, warm {warm_ms:.1f} ms")
    if rig.profile.end_mode != "exit":  # an app that exits after each call starts cold every time
        assert cold_ms > warm_ms, f"cold start ({cold_ms:.1f} ms) not slower than warm ({warm_ms:.1f} ms)"
