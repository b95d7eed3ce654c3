"""Device session and its services against a simulated device: streaming logcat, waits, lifecycle."""

from __future__ import annotations

import threading
import time

import pytest

from harness.call.timeline import Timeline
from harness.callers.broadcast import BroadcastInjector
from harness.config.app_profile import load_profile
from harness.device.session import DeviceSession
from harness.errors import ServiceError, WaitTimeout
from tests.harness_helpers import require_wmpf


def test_logcat_stream_fans_out_lines_with_device_time(sim_device, adb_server) -> None:
    with DeviceSession(sim_device.serial, adb_port=adb_server.port) as session:
        logcat = session.logcat
        assert logcat.format == ("epoch", "usec", "uid")
        seen = []
        unsubscribe = logcat.subscribe(seen.append)
        mark = logcat.mark()
        session.device.shell("monkey -p com.android.settings -c android.intent.category.LAUNCHER 1")
        line = logcat.wait_for("^Displayed com.android.settings/", 10, since=mark, tag="ActivityTaskManager")
        assert line.seq >= mark and line.resolution_ns == 1000
        assert abs(line.device_ns - time.time_ns()) < 60e9  # the default profile's clock has no offset
        # waiting again from the same mark finds the same line at once: no race with the device
        assert logcat.wait_for("^Displayed", 0.01, since=mark, tag="ActivityTaskManager") == line
        unsubscribe()
        assert line in seen
        with pytest.raises(WaitTimeout, match=r"within 0\.2 s"):
            logcat.wait_for("never logged", 0.2)
        session.device.shell("am force-stop com.android.settings")


def test_timeline_classifies_by_profile(sim_device, adb_server) -> None:
    profile = load_profile()
    assert profile.broadcast is not None
    with DeviceSession(sim_device.serial, adb_port=adb_server.port) as session:
        require_wmpf(session)
        timeline = Timeline(session, profile)
        mark = timeline.mark()
        BroadcastInjector(session, profile.broadcast).send("not json")
        ignored = timeline.wait("push_ignored", 10, since=mark)
        assert ignored.data["reason"].startswith("not JSON")
        host, bound = timeline.to_host(ignored)
        assert bound < 5e6 and abs(host - ignored.device_ns) < 1e9


def test_services_stop_with_the_session_and_waiters_fail_fast(sim_device, adb_server) -> None:
    session = DeviceSession(sim_device.serial, adb_port=adb_server.port)
    logcat = session.logcat
    assert session.service(type(logcat)) is logcat and logcat.running
    session.close()
    assert logcat.state.value == "stopped"
    started = time.monotonic()
    with pytest.raises(ServiceError, match="stopped"):
        logcat.wait_for("x", 30)
    assert time.monotonic() - started < 1


def test_uiautomator2_speaks_over_nodelay_sockets(sim_device, adb_server) -> None:
    """http.client sends a POST's headers and body apart: without TCP_NODELAY each tap waits a delayed ACK."""
    import socket

    import adbutils

    with DeviceSession(sim_device.serial, adb_port=adb_server.port) as session:
        assert session.u2.info["sdkInt"] > 0  # the real uiautomator2 client, through the session's device
        device = session.u2._dev  # the adbutils device uiautomator2 was given
        sock = device.create_connection(adbutils.Network.TCP, 9008)
        try:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            sock.close()


def test_the_session_asks_the_adb_server_version_once(sim_device, adb_server, monkeypatch) -> None:
    """adbutils asks ``host:version`` before every transport (a connection and a 10 ms close): not here."""
    import adbutils

    asked: list[int] = []
    real = adbutils.AdbClient.server_version

    def counting(client: adbutils.AdbClient) -> int:
        asked.append(1)
        return real(client)

    monkeypatch.setattr(adbutils.AdbClient, "server_version", counting)
    with DeviceSession(sim_device.serial, adb_port=adb_server.port) as session:
        for _ in range(5):
            assert session.device.shell("echo hi") == "hi"
        assert session.u2.info["sdkInt"] > 0
        assert not session.u2(text="no such button").exists
    assert len(asked) == 1


def test_logcat_history_keeps_a_tail_and_what_pins_hold(sim_device, adb_server) -> None:
    """Memory stays flat over a soak: only the tail, the last seconds and pinned lines are kept; no wait loses one."""
    with DeviceSession(sim_device.serial, adb_port=adb_server.port) as session:
        logcat = session.logcat

        def burst(word: str, n: int) -> None:
            session.device.shell(f"for i in $(seq {n}); do log -t PinTest {word}$i; done")

        def wait(word: str, since: int) -> None:
            logcat.wait_for(f"^{word}$", 10, since=since, tag="PinTest")

        # lines of the last keep_s seconds stay: a mark taken before an action finds its lines after it
        mark = logcat.mark()
        burst("young", 60)
        wait("young60", mark)
        assert len(logcat.find("^young", since=mark, tag="PinTest")) == 60

        logcat.tail, logcat.keep_s = 20, 0.0
        pin = logcat.pin()
        burst("pinned", 60)
        wait("pinned60", pin.seq)
        assert len(logcat.find("^pinned", since=pin.seq, tag="PinTest")) == 60  # the pin held all 60
        pin.release()
        pin.release()  # idempotent
        assert logcat.find("^(young|pinned)1$", tag="PinTest") == []  # released: only the tail is left
        assert len(logcat.lines()) <= logcat.tail
        mark = logcat.mark()
        burst("loose", 60)
        wait("loose60", mark)
        assert len(logcat.find("^loose", since=mark, tag="PinTest")) <= logcat.tail

        # a waiter holds its own position: a burst far longer than the tail still reaches it line by line
        mark = logcat.mark()
        seen: list[str] = []
        waiter = threading.Thread(target=lambda: seen.append(
            logcat.wait_for("^wait1$", 10, since=mark, tag="PinTest").message))
        waiter.start()
        time.sleep(0.2)
        burst("wait", 80)
        waiter.join(15)
        assert seen == ["wait1"]
