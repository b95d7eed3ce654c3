"""Call scenarios through adb only: a real adb server, ``adb shell`` / logcat / ``am broadcast``, and the
simulated phone's HTTP API — the way the harness sees a device. Ground truth is read from the JSONL files.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

import simulator
from harness.callers.phone import Phone
from harness.device.adb_server import AdbServer
from simulator.device import SimDevice
from simulator.wmpf import TruthRecorder, model_of
from tests.conftest import SimFactory
from tests.testbed import TestBed, collapse_calling, place_call

SCALE = 0.05
T = TypeVar("T")
VOIP = re.compile(r"onVoipEvent (\{.*\})\s*$")


@dataclass
class WmpfFarm:
    """The module's simulator as these tests use it: adb to the device, the phone, truth and loop access."""

    sim: simulator.Simulator
    adb_server: AdbServer
    client: Phone

    @property
    def devices(self) -> list[SimDevice]:
        return [self.sim.device(i) for i in range(len(self.sim.devices))]

    def call(self, fn: Callable[[], T]) -> T:
        return self.sim.call(fn)

    def wait(self, predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not self.call(predicate):
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(0.02)

    def adb(self, i: int = 0) -> Any:
        return self.adb_server.client().device(self.sim.devices[i].serial)

    def truth_records(self, i: int = 0) -> list[dict[str, Any]]:
        return TruthRecorder.read(self.sim.truth_path(i))


@pytest.fixture(scope="module")
def farm(make_module_sim: SimFactory, adb_server: AdbServer, tmp_path_factory: pytest.TempPathFactory) -> WmpfFarm:
    """One device with WMPF, ground truth and the phone, on the session's adb server, ready for calls."""
    sim = make_module_sim(1, time_scale=SCALE, truth_dir=tmp_path_factory.mktemp("truth"))
    assert sim.phone_url is not None
    running = WmpfFarm(sim, adb_server, Phone(sim.phone_url))
    running.wait(lambda: all(TestBed.ready(model_of(d)) for d in running.devices), 10)
    return running


def voip_events(farm: WmpfFarm, room: str) -> list[str]:
    """onVoipEvent names of one room, read through ``adb shell logcat -d``."""
    out = farm.adb().shell("logcat -d -s WMPF.VoipPlugin:I")
    names = []
    for line in out.splitlines():
        m = VOIP.search(line)
        if m:
            event = json.loads(m.group(1))
            if event.get("roomId") == room:
                names.append(event["eventName"])
    return names


def wait_events(farm: WmpfFarm, room: str, last: str, timeout: float = 8.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        names = voip_events(farm, room)
        if last in names or time.monotonic() > deadline:
            return names
        time.sleep(0.1)


def truth_events(farm: WmpfFarm, room: str) -> list[str]:
    return [r.get("name", r["event"]) if r["event"] == "onVoipEvent" else r["event"]
            for r in farm.truth_records() if r["room_id"] == room]


def tap_resource(farm: WmpfFarm, suffix: str, timeout: float = 5.0) -> None:
    """Find a node by resource id in ``uiautomator``-style state and tap it with ``adb shell input tap``."""
    dev = farm.devices[0]
    deadline = time.monotonic() + timeout
    while True:
        nodes = farm.call(lambda: [n.center for n in dev.android.screen.tree().walk()
                                   if n.resource_id.endswith(suffix)])
        if nodes:
            x, y = nodes[0]
            farm.adb().shell(f"input tap {x} {y}")
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no node {suffix} on screen")
        time.sleep(0.05)


def sn(farm: WmpfFarm) -> str:
    return farm.devices[0].serialno


def test_answered_then_caller_hangs_up(farm: WmpfFarm) -> None:
    room = place_call(farm.client, sn(farm), nick_name="Alice")
    tap_resource(farm, "wmpfhost:id/answer")
    wait_events(farm, room, "calling")
    farm.client.hang_up(room)
    names = collapse_calling(wait_events(farm, room, "finishVoip"))
    assert names == ["hangOnVoip", "startVoip", "calling", "hangUpVoip", "endVoip", "finishVoip"]
    truth = truth_events(farm, room)
    for a, b in [("call_placed", "push_delivered"), ("push_received", "ring_shown"), ("ring_shown", "answer_tapped"),
                 ("answered", "connected"), ("connected", "ended")]:
        assert truth.index(a) < truth.index(b)
    assert collapse_calling([t for t in truth if (t[0].islower() and t.endswith("Voip")) or t == "calling"]) == names


def test_rejected_on_host_screen(farm: WmpfFarm) -> None:
    room = place_call(farm.client, sn(farm))
    tap_resource(farm, "wmpfhost:id/decline")
    assert wait_events(farm, room, "endVoip")[:2] == ["rejectVoip", "endVoip"]
    assert farm.client.call_state(room)["endReason"] == "rejected"


def test_cancelled_and_timed_out_ring_out_on_the_host_screen(farm: WmpfFarm) -> None:
    room = place_call(farm.client, sn(farm))
    farm.wait(lambda: farm.devices[0].android.screen.top().activity.endswith(".IncomingCallActivity"), 5, "ringing")
    farm.client.cancel(room)
    assert "cancelVoip" in farm.client.call_state(room)["callerEvents"][-2]["eventName"]
    # the host screen keeps ringing (it never heard of the cancel); answering joins a dead room
    tap_resource(farm, "wmpfhost:id/answer")
    assert wait_events(farm, room, "endVoip")[:2] == ["joinFailListener", "endVoip"]
    timeout_room = place_call(farm.client, sn(farm))
    deadline = time.monotonic() + 8
    while farm.client.call_state(timeout_room)["state"] != "ended" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert farm.client.call_state(timeout_room)["endReason"] == "timeout"


def test_busy_and_aborted(farm: WmpfFarm) -> None:
    room = place_call(farm.client, sn(farm), nick_name="Alice")
    tap_resource(farm, "wmpfhost:id/answer")
    wait_events(farm, room, "calling")
    second = place_call(farm.client, sn(farm), nick_name="Carol")
    farm.wait(lambda: "busy" in [r["event"] for r in farm.truth_records() if r["room_id"] == second], 5, "busy")
    assert farm.client.call_state(second)["endReason"] == "busy"
    assert "busy" in farm.adb().shell("logcat -d -s WMPF.VoipPlugin:W")
    farm.client.lose_network(room)
    names = collapse_calling(wait_events(farm, room, "endVoip"))
    assert names[-2:] == ["abortVoip", "endVoip"]
    assert "call interrupted due to native reason" in farm.adb().shell("logcat -d -s WMPF.VoipPlugin:I")


def test_wmpf_killed_from_the_shell_restarts_with_a_new_pid(farm: WmpfFarm) -> None:
    adb = farm.adb()
    old = adb.shell("pidof com.tencent.wmpf").strip()
    assert old.isdigit()
    assert "not permitted" in adb.shell(f"kill -9 {old}")  # an app's process: shell may not kill it
    adb.shell(f"su 0 kill -9 {old}")  # userdebug build, as a lab would
    farm.wait(lambda: model_of(farm.devices[0]).service.proc is None or
              str(model_of(farm.devices[0]).service.proc.pid) != old, 3, "WMPF dead")
    farm.wait(lambda: TestBed.ready(model_of(farm.devices[0])), 8, "WMPF back")
    new = adb.shell("pidof com.tencent.wmpf").strip()
    assert new.isdigit() and new != old
    lifecycle = adb.shell("logcat -d -s WMPFCli.Lifecycle")
    assert "onWMPFFinish" in lifecycle and "onWMPFRestart" in lifecycle
    adb.shell("am force-stop com.tencent.wmpf")
    farm.wait(lambda: TestBed.ready(model_of(farm.devices[0])), 8, "WMPF back again")
    room = place_call(farm.client, sn(farm))
    tap_resource(farm, "wmpfhost:id/answer")
    assert "startVoip" in wait_events(farm, room, "startVoip")
    farm.client.hang_up(room)
    wait_events(farm, room, "endVoip")


def test_malformed_debug_broadcasts_are_ignored(farm: WmpfFarm) -> None:
    adb = farm.adb()
    for msg in ['{"appType":0,"appid":"wx1"}', "not-json{{", "x" * 10240,
                '{"path":"plugin-private://wx9999999999999999/p","appid":"wx1"}']:
        out = adb.shell(f"am broadcast -a com.example.wmpfhost.DEBUG_PUSH --es msg '{msg}'")
        assert "Broadcast completed" in out
    log = adb.shell("logcat -d -s WMPF-API:W")
    assert log.count("invalid push msg ignored") >= 4
    room = place_call(farm.client, sn(farm))
    tap_resource(farm, "wmpfhost:id/answer")
    assert "startVoip" in wait_events(farm, room, "startVoip")
    farm.client.hang_up(room)
    wait_events(farm, room, "endVoip")


def test_uiautomator2_sees_and_answers_the_ringing_screen(farm: WmpfFarm) -> None:
    u2 = pytest.importorskip("uiautomator2")
    d = u2.connect(farm.adb())
    try:
        room = place_call(farm.client, sn(farm), nick_name="Dora")
        assert d(resourceId="com.example.wmpfhost:id/answer").wait(timeout=5)
        xml = d.dump_hierarchy()
        assert 'text="Dora"' in xml and 'resource-id="com.example.wmpfhost:id/decline"' in xml
        d(text="Answer").click()
        assert d(resourceId="com.tencent.wmpf:id/voip_timer").wait(timeout=5)
        image = d.screenshot()
        assert image.size == (1200, 1920)
        d(resourceId="com.tencent.wmpf:id/voip_hangup").click()
        names = wait_events(farm, room, "endVoip")
        assert names[:2] == ["hangOnVoip", "startVoip"] and "hangUpVoip" in names
        hang = next(r for r in farm.truth_records() if r.get("name") == "hangUpVoip" and r["room_id"] == room)
        assert hang["data"]["status"] == "endByListener"
    finally:
        d.stop_uiautomator()
