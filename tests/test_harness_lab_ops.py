"""Lab plumbing: per-worker device claims and lab-only retries that count themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.device.pool import claim_serial
from harness.device.retry import LabRetry, ensure_online
from harness.device.session import DeviceSession
from harness.errors import DeviceGoneError, LabError


def test_claims_are_exclusive_and_released(tmp_path: Path) -> None:
    serials = ["A:5555", "B"]
    first = claim_serial(serials, tmp_path)
    second = claim_serial(serials, tmp_path)
    assert {first.serial, second.serial} == {"A:5555", "B"}
    with pytest.raises(LabError, match="all 2 devices are claimed"):
        claim_serial(serials, tmp_path)
    first.release()
    assert claim_serial(serials, tmp_path).serial == first.serial


def test_retries_are_counted_and_budgets_end_in_lab_errors() -> None:
    seen: list[str] = []
    attempts = iter([ConnectionError("reset"), ConnectionError("reset"), "ok"])

    def flaky() -> str:
        item = next(attempts)
        if isinstance(item, Exception):
            raise item
        return item

    policy = LabRetry(budget_s=5, max_attempts=5, initial_wait_s=0.01, max_wait_s=0.02, on_retry=seen.append)
    assert policy.call("flaky op", flaky) == "ok"
    assert len(seen) == 2 and all(s.startswith("flaky op: attempt") for s in seen)
    with pytest.raises(LabError, match="still failing"):
        LabRetry(budget_s=1, max_attempts=2, initial_wait_s=0.01).call("dead", lambda: (_ for _ in ()).throw(
            ConnectionError("gone")))
    with pytest.raises(ValueError):  # not a lab failure: never retried, never turned into a lab error
        policy.call("bug", lambda: int("x"))


def test_unknown_device_stays_gone(adb_server) -> None:
    import socket

    with socket.socket() as closed:  # bound, never listening: a port nothing can answer on while the test runs
        closed.bind(("127.0.0.1", 0))
        session = DeviceSession(f"127.0.0.1:{closed.getsockname()[1]}", adb_port=adb_server.port)
        with pytest.raises(DeviceGoneError, match="stayed unreachable"):
            ensure_online(session, LabRetry(budget_s=1.5, max_attempts=2, initial_wait_s=0.05))


def test_dropped_link_comes_back(make_sim, adb_server) -> None:
    sim = make_sim(1)
    serial = sim.devices[0].serial
    with DeviceSession(serial, adb_port=adb_server.port) as session:
        session.logcat  # noqa: B018 - start a service that must survive the reconnect
        adb_server.adb("disconnect", serial)
        assert session.state() in ("absent", "offline")
        seen: list[str] = []
        device = ensure_online(session, LabRetry(budget_s=20, initial_wait_s=0.1, on_retry=seen.append))
        assert device.shell("echo back").strip() == "back"
        session.restart_services()
        assert session.logcat.running and session.logcat.stream_starts == 2


def test_isolated_adb_servers_starting_at_once_with_one_home_all_start(tmp_path: Path) -> None:
    """pytest-xdist workers start their adb servers together with one HOME: none may die racing on ~/.android."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from harness.device.adb_server import AdbServer, free_server_port

    port = int(os.environ.get("WMPF_HIL_TEST_ADB_PORT", "15037")) + 300
    for attempt in range(2):  # a fresh HOME each time: the race is on creating .android and the key
        home = tmp_path / f"home{attempt}"
        ports = []
        for _ in range(4):
            port = free_server_port(port + 1, span=200)
            ports.append(port)
        servers = [AdbServer(port, home=home) for port in ports]
        try:
            with ThreadPoolExecutor(len(servers)) as pool:
                started = list(pool.map(lambda s: s.start(), servers))
            assert all(s.client().server_version() > 0 for s in started)
            assert (home / ".android" / "adbkey").is_file() and (home / ".android" / "adbkey.pub").is_file()
        finally:
            for server in servers:
                server.stop()


def test_call_numbers_and_capture_names_are_unique_across_rigs() -> None:
    """Variant devices reuse ports (so serials): a second rig must not reuse a call number or a pcap name."""
    from harness.call.rig import Rig
    from harness.capture import call_id_for
    from harness.config.app_profile import load_profile
    from harness.results.records import CallRecord

    profile = load_profile(None)
    first, second = (Rig(session=None, timeline=None, profile=profile, worker="gw1")  # type: ignore[arg-type]
                     for _ in range(2))
    numbers = [first.next_index(), second.next_index(), first.next_index()]
    assert len(set(numbers)) == 3
    ids = {call_id_for(CallRecord(scenario="s", serial="127.0.0.1:20150", call_index=n, worker="gw1"))
           for n in numbers}
    assert len(ids) == 3 and all(i.startswith("gw1_") for i in ids)
