"""Clock sync on loopback: offset bound and true error with the device clock a day off and drifting 200 ppm.

Goal (issue 4 self-check): offset bound <= 1 ms on loopback with offset +-1 day and drift +-200 ppm. The true
error comes from the simulated clock itself (out of band), so this also checks that the bound holds.
Ports: WMPF_HIL_BENCH_ADB_PORT (default 15540) and WMPF_HIL_BENCH_DEVICE_PORT (default 27900).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import percentile, save

import simulator
from harness.device.adb_server import AdbServer, free_server_port
from harness.device.services.clock_sync import ClockSyncService
from harness.device.session import DeviceSession
from harness.hostclock import host_ns, monotonic_from_host_ns

PROFILE = Path(__file__).resolve().parents[1] / "fixtures" / "devices" / "wmpf-tablet.toml"
ADB_PORT = int(os.environ.get("WMPF_HIL_BENCH_ADB_PORT", "15540"))
DEVICE_PORT = int(os.environ.get("WMPF_HIL_BENCH_DEVICE_PORT", "27900"))
RUN_S = float(os.environ.get("WMPF_HIL_BENCH_CLOCK_S", "10"))


def run_case(offset_s: float, drift_ppm: float, tmp: Path, server: AdbServer) -> dict[str, float]:
    text = re.sub(r"drift_ppm = .*", f"drift_ppm = {drift_ppm}",
                  re.sub(r"offset_s = .*", f"offset_s = {offset_s}", PROFILE.read_text(encoding="utf-8")))
    profile = tmp / f"clock_{offset_s}_{drift_ppm}.toml"
    profile.write_text(text, encoding="utf-8")
    with simulator.Simulator(1, profile=str(profile), base_port=DEVICE_PORT, adb_path=server.adb_path,
                             adb_server_port=server.port) as sim:
        truth = sim.device(0).clock
        with DeviceSession(sim.devices[0].serial, adb_port=server.port,
                           service_options={ClockSyncService: {"interval_s": 1.0}}) as session:
            clock = session.clock
            bounds, errors, widths = [], [], []
            deadline = time.monotonic() + RUN_S
            while time.monotonic() < deadline:
                time.sleep(0.25)
                est = clock.estimate()
                # an event 0.5 s in the past (typical: mapped when the call record is built)
                at = host_ns() - 500_000_000
                offset, bound = est.offset_at(at)
                true = truth.wall_ns(monotonic_from_host_ns(at)) - at
                bounds.append(bound / 1e6)
                errors.append(abs(offset - true) / 1e6)
                widths.append(est.tightest_width_ns / 1e6)
            lo, hi = est.drift_ppm_range
            return {"bound_p50_ms": round(percentile(bounds, 0.5), 4), "bound_max_ms": round(max(bounds), 4),
                    "error_max_ms": round(max(errors), 4), "bound_held": all(e <= b + 1e-6 for e, b in
                                                                            zip(errors, bounds, strict=True)),
                    "tightest_bracket_ms": round(min(widths), 4), "drift_ppm_lo": round(lo, 2),
                    "drift_ppm_hi": round(hi, 2), "samples": clock.sample_count}


def main() -> None:
    figures = {}
    with tempfile.TemporaryDirectory() as tmp, AdbServer(free_server_port(ADB_PORT), home=Path(tmp) / "h") as server:
        for offset_s, drift_ppm in ((86400.0, 200.0), (-86400.0, -200.0), (0.0, 0.0)):
            figures[f"offset_{offset_s:+.0f}s_drift_{drift_ppm:+.0f}ppm"] = run_case(offset_s, drift_ppm, Path(tmp),
                                                                                     server)
    save("clock", figures)


if __name__ == "__main__":
    main()
