"""Detection lag: an event logged on the device → the harness acting on it; streaming logcat vs uiautomator2.

For each call two watchers run side by side on the same ring, both started when the call is placed: the
harness's timeline (one streaming logcat, woken by the line) and, alternating call by call, uiautomator2's
``d(resourceId=answer).wait()`` (a server-side wait) or the polling loop tools use (``d(...).exists`` until
true: one hierarchy query per look). The lag of each is the host instant its wait returned minus the true
instant the ring was shown (the simulator's ground truth, out of band). Goal: logcat ≥ 10× faster.

The simulated uiautomator2 server's ``waitForExists`` looks once a second, as androidx UiObject does on hardware
(``WAIT_FOR_SELECTOR_POLL`` = 1 s), so ``wait()`` lags by up to a second; client-side ``.exists`` polling lags by
one hierarchy query.
Ports: WMPF_HIL_BENCH_ADB_PORT (default 15560) and WMPF_HIL_BENCH_DEVICE_PORT (default 27960).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import percentile, save

from harness.call.driver import CallDriver
from harness.device.adb_server import AdbServer, free_server_port
from harness.hostclock import host_ns, host_ns_from_monotonic
from tests.selfcheck_helpers import read_truth, selfcheck_rig

ADB_PORT = int(os.environ.get("WMPF_HIL_BENCH_ADB_PORT", "15560"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_BENCH_DEVICE_PORT", "27960"))
CALLS = int(os.environ.get("WMPF_HIL_BENCH_CALLS", "30"))


def stats(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median_ms": round(statistics.median(values), 3),
            "p90_ms": round(percentile(values, 0.9), 3), "max_ms": round(max(values), 3)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, \
            AdbServer(free_server_port(ADB_PORT), home=Path(tmp) / "home") as server, \
            selfcheck_rig(server.port, server.adb_path, Path(tmp) / "truth", base_port=DEVICE_PORT,
                          time_scale=0.2) as (lab, rig):
        assert lab.simulator is not None
        driver = CallDriver(rig, "bench_detection")
        answer = rig.profile.selector("answer")[0]
        seen: list[tuple[str, str, int, int, int]] = []  # mode, room, line received, harness acted, u2 returned

        def watcher_for(mode: str, done: list[int]) -> threading.Thread:
            obj = rig.session.u2(**answer)

            def watch() -> None:
                if mode == "wait":
                    obj.wait(timeout=10)
                else:
                    while not obj.exists:  # each look is one hierarchy query
                        pass
                done.append(host_ns())

            return threading.Thread(target=watch)

        for i in range(CALLS):
            mode = ("wait", "poll")[i % 2]
            u2_done: list[int] = []
            watcher = watcher_for(mode, u2_done)
            with driver.call() as call:
                call.place()
                watcher.start()
                ring = call.wait_ring()
                acted = host_ns()
                watcher.join()
                call.answer()
                call.wait_connected()
                call.hang_up("phone")
            seen.append((mode, call.room or "", ring.line.host_rx_ns or 0, acted, u2_done[0]))
        truth = read_truth(lab.simulator.truth_path(0))
    rings = {r["room_id"]: host_ns_from_monotonic(r["host_mono_ns"]) for r in truth if r["event"] == "ring_shown"}
    received = [(rx - rings[room]) / 1e6 for _, room, rx, _, _ in seen]
    acted = [(at - rings[room]) / 1e6 for _, room, _, at, _ in seen]
    waited = [(u2 - rings[room]) / 1e6 for mode, room, _, _, u2 in seen if mode == "wait"]
    polled = [(u2 - rings[room]) / 1e6 for mode, room, _, _, u2 in seen if mode == "poll"]
    base = statistics.median(acted)
    save("detection", {"calls": CALLS, "event": "ring_shown (host incoming screen), time scale 0.2",
                       "logcat_line_received": stats(received), "logcat_harness_acting": stats(acted),
                       "uiautomator2_wait": stats(waited), "uiautomator2_exists_polling": stats(polled),
                       "speedup_vs_polling": round(statistics.median(polled) / base, 1),
                       "speedup_vs_wait": round(statistics.median(waited) / base, 1), "goal_speedup": 10})


if __name__ == "__main__":
    main()
