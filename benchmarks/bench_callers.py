"""The phone-app caller against the phone bot API, side by side in one run on one simulated device and phone.

Two figures. The placement bracket: the host instants around the uiautomator2 click RPC on Voice/Video (the
phone app) or around ``POST /callWMPF`` (the bot); half its width is the bound on the placement instant that
push_to_ring starts from. The harness overhead per call: a whole driven call's wall time minus the device's
own share (as bench_overhead.py: placed → ring, Answer tap landed → connected, the hold, hang-up landed → end
mode); for the phone app it includes opening the caller Mini Program and choosing the device on the phone, and
the caller-state check at the end of the hold. Goal: the phone app ≤ 100 ms median more than the bot.
Ports: WMPF_HIL_BENCH_ADB_PORT (default 15590) and WMPF_HIL_BENCH_DEVICE_PORT (default 28100).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import device_share_ms, save, stats_ms

from harness.call.driver import CallDriver
from harness.callers.bot import PhoneBotCaller
from harness.callers.phone import Phone
from harness.device.adb_server import AdbServer, free_server_port
from harness.hostclock import host_ns
from harness.results.records import Outcome
from tests.selfcheck_helpers import phone_selfcheck_rig

ADB_PORT = int(os.environ.get("WMPF_HIL_BENCH_ADB_PORT", "15590"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_BENCH_DEVICE_PORT", "28100"))
CALLS = int(os.environ.get("WMPF_HIL_BENCH_CALLS", "20"))
HOLD_S = 0.3


class Bracketed:
    """A caller that remembers the width of every placement bracket (host_after − host_before)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.widths_ms: list[float] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def place(self, request: object) -> object:
        placement = self.inner.place(request)  # type: ignore[attr-defined]
        self.widths_ms.append((placement.host_after_ns - placement.host_before_ns) / 1e6)
        return placement


def main() -> None:
    figures: dict[str, object] = {"calls_per_caller_and_side": CALLS, "hold_s": HOLD_S, "goal_median_more_ms": 100}
    with tempfile.TemporaryDirectory() as tmp, \
            AdbServer(free_server_port(ADB_PORT), home=Path(tmp) / "home") as server, \
            phone_selfcheck_rig(server.port, server.adb_path, Path(tmp) / "truth", base_port=DEVICE_PORT,
                                time_scale=0.2) as (lab, rig):
        assert lab.simulator is not None
        phone_app = rig.caller
        callers = {"phone_app": Bracketed(phone_app),
                   "phone_bot": Bracketed(PhoneBotCaller(Phone(lab.simulator.phone_url or ""), rig.sn))}
        overhead: dict[str, list[float]] = {name: [] for name in callers}
        driver = CallDriver(rig, "bench_callers")
        for i in range(CALLS * 2):  # interleaved, so both callers see the same machine load
            side = "device" if i % 2 else "phone"
            for name, caller in callers.items():
                rig.caller = caller  # type: ignore[assignment]
                start = host_ns()
                record = driver.run(hang_up=side, hold_s=HOLD_S)
                total_ms = (host_ns() - start) / 1e6
                assert record.outcome is Outcome.PASSED, (name, record.error)
                overhead[name].append(total_ms - device_share_ms(record, side, HOLD_S))
        rig.caller = phone_app  # closed with the rig
    for name, caller in callers.items():
        figures[name] = {"overhead_per_call": stats_ms(overhead[name]), "placement_bracket": stats_ms(caller.widths_ms)}
    more = statistics.median(overhead["phone_app"]) - statistics.median(overhead["phone_bot"])
    figures["phone_app_median_overhead_more_ms"] = round(more, 3)
    figures["met"] = more <= 100
    save("callers", figures)


if __name__ == "__main__":
    main()
