"""Clock sync against a simulated device: a persistent sh, tight brackets, offset and drift recovered.

The simulator's device clock is host time + offset + drift (profile [clock]); the estimate must contain the
true offset within its bound. Timing *goals* (bound <= 1 ms) are checked loosely here and measured in
benchmarks; the assertions are about correctness (truth inside the bound).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from harness.device.services.clock_sync import ClockSyncService
from harness.device.session import DeviceSession
from harness.hostclock import monotonic_from_host_ns

PROFILE = Path(__file__).resolve().parents[1] / "fixtures" / "devices" / "wmpf-tablet.toml"


def clock_profile(tmp_path: Path, offset_s: float, drift_ppm: float) -> Path:
    text = PROFILE.read_text(encoding="utf-8")
    text = re.sub(r"offset_s = .*", f"offset_s = {offset_s}", text)
    text = re.sub(r"drift_ppm = .*", f"drift_ppm = {drift_ppm}", text)
    path = tmp_path / "clock.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_persistent_sh_answers_each_line_as_it_arrives(sim_device) -> None:
    conn = sim_device.shell("sh", stream=True)
    try:
        conn.conn.settimeout(10)
        for word in ("one", "two", "'three four'"):
            conn.conn.sendall(f"echo {word}\n".encode())
            assert conn.conn.recv(100).decode().strip() == word.strip("'")
        conn.conn.sendall(b"if true; then\n")
        conn.conn.sendall(b"echo inside; fi\n")
        assert conn.conn.recv(100) == b"inside\n"
        conn.conn.sendall(b"exit 3\n")
        assert conn.conn.recv(100) == b""  # the shell ended; the stream closes
    finally:
        conn.close()


@pytest.mark.parametrize(("offset_s", "drift_ppm"), [(86400.0, 200.0), (-86400.0, -200.0)])
def test_offset_and_drift_recovered_within_bound(make_sim, adb_server, tmp_path: Path, offset_s: float,
                                                 drift_ppm: float) -> None:
    sim = make_sim(1, profile=str(clock_profile(tmp_path, offset_s, drift_ppm)))
    device_clock = sim.device(0).clock  # out of band: the ground truth of the simulated clock
    with DeviceSession(sim.devices[0].serial, adb_port=adb_server.port,
                       service_options={ClockSyncService: {"interval_s": 0.2}}) as session:
        clock = session.clock
        time.sleep(1.5)
        estimate = clock.sync(8)
        for host in (estimate.first_host_ns, estimate.last_host_ns - 700_000_000, estimate.last_host_ns):
            true_offset = device_clock.wall_ns(monotonic_from_host_ns(host)) - host
            offset, bound = estimate.offset_at(host)
            assert abs(offset - true_offset) <= bound + 1_000, (offset - true_offset, bound)
            assert bound < 5e6, f"offset bound {bound / 1e6:.3f} ms on loopback"
        lo, hi = estimate.drift_ppm_range
        assert lo <= drift_ppm <= hi
        assert clock.sample_count >= 8 + 24


def test_service_lifecycle_closes_the_shell(sim_device, adb_server) -> None:
    session = DeviceSession(sim_device.serial, adb_port=adb_server.port,
                            service_options={ClockSyncService: {"interval_s": 0}})
    clock = session.clock
    assert clock.running and session.clock is clock
    session.close()
    assert clock.state.value == "stopped"
    with pytest.raises(Exception, match="stopped"):
        clock.estimate()
