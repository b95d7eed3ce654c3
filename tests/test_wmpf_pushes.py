"""Pushes the host app must survive (malformed ones) and push faults (drop, duplicate, delay)."""

from __future__ import annotations

import asyncio
import json

import pytest

from simulator.android.intent import Intent
from simulator.wmpf.faults import FaultError, apply_fault
from tests.testbed import TestBed, profile_with

DIRECT = profile_with(host_app={"incoming_ui": "direct"})
PLUGIN_PATH = "plugin-private://wxf830863afde621eb/pages/call-page-plugin/call-page-plugin?roomType=voice"

MALFORMED = {
    "missing path": json.dumps({"appType": 0, "appid": "wx0123456789abcdef"}),
    "foreign appid": json.dumps({"path": "plugin-private://wx1111111111111111/pages/x?groupId=1", "appType": 0,
                                 "appid": "wx0123456789abcdef"}),
    "empty appid": json.dumps({"path": PLUGIN_PATH, "appType": 0, "appid": ""}),
    "bad JSON": '{"path": "plugin-private://wxf830863afde621eb/pages/call-page-plugin',
    "10 KB of junk": "\x00\xffjunk" * 1500,
    "not an object": "[1, 2, 3]",
}


async def answer_and_hang_up(bed: TestBed, room: str) -> None:
    await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 5, "ringing call page")
    bed.click(0, ":id/voip_answer")
    await bed.until(lambda: "calling" in bed.voip_events(0, room), 5, "calling")
    bed.click(0, ":id/voip_hangup")
    await bed.until(lambda: "endVoip" in bed.voip_events(0, room), 5, "endVoip")


def test_malformed_pushes_are_logged_and_ignored_then_a_valid_call_is_answered() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            dev, model = bed.devices[0], bed.models[0]
            host_pid = dev.android.process_of("com.example.wmpfhost").pid
            for i, msg in enumerate(MALFORMED.values()):
                if i % 2:  # half through the WeChat push channel, half through the debug receiver
                    await bed.run(bed.client.push, dev.serialno, msg)
                else:
                    dev.android.send_broadcast(Intent(action="com.example.wmpfhost.DEBUG_PUSH", extras={"msg": msg}))
            await bed.until(lambda: model.truth.events().count("push_ignored") == len(MALFORMED), 3, "all ignored")
            warnings = [e for e in dev.logcat.entries() if e.tag == "WMPF-API" and e.priority_letter == "W"]
            assert len(warnings) == len(MALFORMED)
            assert all("invalid push msg ignored" in w.message and len(w.message) < 400 for w in warnings)
            reasons = [r["reason"] for r in model.truth.records if r["event"] == "push_ignored"]
            assert any("missing path" in r for r in reasons) and any("too long" in r for r in reasons)
            assert any("not JSON" in r for r in reasons) and any("does not name the VoIP plugin" in r for r in reasons)
            assert dev.android.process_of("com.example.wmpfhost").pid == host_pid  # no crash
            assert not dev.android.crashes
            room = await bed.call()
            await answer_and_hang_up(bed, room)

    asyncio.run(main())


def test_dropped_push_is_in_the_ground_truth_and_the_next_call_rings() -> None:
    async def main() -> None:
        async with TestBed(profile=profile_with(host_app={"incoming_ui": "direct"}, faults={"push_drop": 1})) as bed:
            lost = await bed.call()
            await bed.until(lambda: "push_dropped" in bed.truth_events(0, lost), 2, "dropped")
            room = await bed.call()
            await answer_and_hang_up(bed, room)

    asyncio.run(main())


def test_duplicated_push_rings_once() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            apply_fault(bed.models[0], "push_duplicate", 1)
            room = await bed.call()
            await bed.until(lambda: bed.truth_events(0, room).count("push_received") == 2, 3, "two pushes")
            await answer_and_hang_up(bed, room)
            assert bed.voip_events(0, room).count("callPageOnShow") == 1
            assert "busy" not in bed.truth_events(0, room)

    asyncio.run(main())


def test_delayed_push_arrives_later() -> None:
    async def main() -> None:
        profile = profile_with(host_app={"incoming_ui": "direct"},
                               timing={"push_delivery_ms": 100}, faults={"push_delay_ms": 20000})
        async with TestBed(profile=profile) as bed:
            room = await bed.call()
            await bed.until(lambda: "push_delivered" in bed.truth_events(0, room), 3, "delivered")
            rec = bed.models[0].truth.records
            placed = next(r for r in rec if r["event"] == "call_placed")["host_mono_ns"]
            got = next(r for r in rec if r["event"] == "push_delivered")["host_mono_ns"]
            assert (got - placed) / 1e9 == pytest.approx((20000 + 100) / 1000 * 0.02, abs=0.05)

    asyncio.run(main())


def test_slow_cold_start_and_warm_start_after_background() -> None:
    async def main() -> None:
        profile = profile_with(host_app={"incoming_ui": "direct", "warm_up": False},
                               timing={"cold_start_ms": 2000, "warm_start_ms": 500})
        async with TestBed(profile=profile) as bed:
            apply_fault(bed.models[0], "slow_cold_start", 3)
            room = await bed.call()
            await answer_and_hang_up(bed, room)
            await bed.until(lambda: bed.models[0].miniprogram.state == "background", 3, "backgrounded")
            room2 = await bed.call()
            await answer_and_hang_up(bed, room2)
            rec = bed.models[0].truth.records

            def launch_to_show(r_id: str) -> float:
                launch = next(r for r in rec if r["event"] == "miniprogram_launch" and r["room_id"] == r_id)
                shown = next(r for r in rec if r.get("name") == "callPageOnShow" and
                             r["host_mono_ns"] > launch["host_mono_ns"])
                assert launch["cold"] is (r_id == room)
                return (shown["host_mono_ns"] - launch["host_mono_ns"]) / 1e9

            assert launch_to_show(room) == pytest.approx(6.0 * 0.02, abs=0.03)
            assert launch_to_show(room2) == pytest.approx(0.5 * 0.02, abs=0.03)

    asyncio.run(main())


def test_unknown_fault_and_bad_values_are_named() -> None:
    async def main() -> None:
        async with TestBed() as bed:
            with pytest.raises(FaultError, match="unknown fault 'bogus'"):
                apply_fault(bed.models[0], "bogus")
            with pytest.raises(FaultError, match="push_drop_rate"):
                apply_fault(bed.models[0], "push_drop_rate", 2)
            with pytest.raises(FaultError, match="true or false"):
                apply_fault(bed.models[0], "network_down", 1)

    asyncio.run(main())


def test_network_down_makes_the_device_offline_for_the_backend() -> None:
    async def main() -> None:
        async with TestBed() as bed:
            sn = bed.devices[0].serialno
            await bed.run(bed.client.fault, sn, "network_down", True)
            devices = await bed.run(bed.client.devices)
            assert devices[0]["online"] is False
            from harness.callers.phone import PhoneApiError

            with pytest.raises(PhoneApiError) as err:
                await bed.call()
            assert err.value.status == 503 and "offline" in err.value.err_msg
            await bed.run(bed.client.fault, sn, "network_down", False)
            await bed.call()

    asyncio.run(main())


def test_device_network_down_mid_call_aborts_it() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            room = await bed.call()
            await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 5, "ringing")
            bed.click(0, ":id/voip_answer")
            await bed.until(lambda: "calling" in bed.voip_events(0, room), 5, "calling")
            apply_fault(bed.models[0], "network_down", True)
            await bed.until(lambda: "endVoip" in bed.voip_events(0, room), 5, "endVoip")
            abort = next(r for r in bed.models[0].truth.records if r.get("name") == "abortVoip")
            assert abort["data"]["status"] == "abortByListener"
            assert abort["data"]["error"]["errMsg"] == "call interrupted due to native reason"
            assert bed.backend.rooms[room].end_reason == "listener_network_lost"

    asyncio.run(main())


def test_every_fault_action_runs() -> None:
    from simulator.wmpf.faults import ACTIONS

    async def main() -> None:
        async with TestBed() as bed:
            model, dev = bed.models[0], bed.devices[0]
            for action in ACTIONS:
                if action == "reboot":
                    continue
                apply_fault(model, action)
            assert dev.link_blocked is False  # block_adb then unblock_adb
            assert dev.android.screen.on  # screen_off then screen_on
            assert model.service.push_token is not None and model.service.push_token.expired
            assert [r["fault"] for r in model.truth.records if r["event"] == "fault"] == \
                [a for a in ACTIONS if a != "reboot"]
            await bed.until(lambda: TestBed.ready(model), 5, "WMPF back after kill/crash/force-stop")

    asyncio.run(main())


def test_ended_rooms_release_the_call_they_belonged_to() -> None:
    """The phone backend keeps up to MAX_ROOMS ended rooms for ``GET /calls``; each must be a small record, not
    a handle on the device's VoipSession, its timers and callbacks (a 1,000-call soak grew by all of them)."""
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            rooms = []
            for _ in range(3):
                room = await bed.call()
                await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 5, "ringing call page")
                bed.click(0, ":id/voip_answer")
                await bed.until(lambda room=room: "calling" in bed.voip_events(0, room), 5, "calling")
                assert bed.backend.rooms[room].listener is not None  # the device's session, while the call lasts
                bed.click(0, ":id/voip_hangup")
                await bed.until(lambda room=room: not bed.backend.rooms[room].active, 5, "ended")
                rooms.append(room)
            for room_id in rooms:
                room = bed.backend.rooms[room_id]
                assert room.listener is None and room.on_end == [] and room.on_connect == []
                assert room.scheduler.pending == 0
            sn = bed.devices[0].serialno
            calls = await bed.run(bed.client.request, "GET", f"/calls?sn={sn}")
            assert set(rooms) <= {c["roomId"] for c in calls}  # still described after the release

    asyncio.run(main())
