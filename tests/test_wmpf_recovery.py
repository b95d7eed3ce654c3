"""WMPF dies and comes back (or does not): the failure modes of facts doc §5 "push not received"."""

from __future__ import annotations

import asyncio

from simulator.android.intent import Intent
from simulator.wmpf.faults import apply_fault
from tests.testbed import TestBed, profile_with

DIRECT = {"incoming_ui": "direct"}


def wmpf_pid(bed: TestBed) -> int | None:
    proc = bed.devices[0].android.process_of("com.tencent.wmpf")
    return proc.pid if proc else None


async def answer_and_hang_up(bed: TestBed, room: str) -> None:
    await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 5, "ringing call page")
    bed.click(0, ":id/voip_answer")
    await bed.until(lambda: "calling" in bed.voip_events(0, room), 5, "calling")
    await bed.run(bed.client.hang_up, room)
    await bed.until(lambda: "endVoip" in bed.voip_events(0, room), 5, "endVoip")


def test_wmpf_killed_is_restarted_by_the_host_app_and_next_call_rings() -> None:
    async def main() -> None:
        async with TestBed(profile=profile_with(host_app=DIRECT)) as bed:
            old = wmpf_pid(bed)
            apply_fault(bed.models[0], "kill_wmpf")
            assert wmpf_pid(bed) is None
            await bed.until(lambda: TestBed.ready(bed.models[0]), 5, "WMPF back and listening")
            new = wmpf_pid(bed)
            assert new is not None and new != old
            tags = [(e.tag, e.message) for e in bed.devices[0].logcat.entries()]
            assert ("WMPFCli.Lifecycle", "onWMPFFinish") in tags
            assert ("WMPFCli.Lifecycle", "onWMPFRestart") in tags
            assert any(t == "ActivityManager" and f"pid {old}" in m and "has died" in m for t, m in tags)
            truth = bed.truth_events(0)
            assert truth.count("wmpf_started") == 2 and "wmpf_killed" in truth
            assert truth[-1] in ("listener_registered", "wmpf_activated", "miniprogram_warmed")
            room = await bed.call()
            await answer_and_hang_up(bed, room)

    asyncio.run(main())


def test_force_stop_from_the_shell_path_also_recovers() -> None:
    async def main() -> None:
        async with TestBed(profile=profile_with(host_app=DIRECT)) as bed:
            old = wmpf_pid(bed)
            bed.devices[0].android.force_stop("com.tencent.wmpf")
            await bed.until(lambda: TestBed.ready(bed.models[0]) and wmpf_pid(bed) != old, 5, "WMPF back")
            room = await bed.call()
            await answer_and_hang_up(bed, room)

    asyncio.run(main())


def test_lifecycle_listener_off_next_push_is_lost() -> None:
    async def main() -> None:
        async with TestBed(profile=profile_with(host_app=DIRECT)) as bed:
            apply_fault(bed.models[0], "lifecycle_listener_off", True)
            apply_fault(bed.models[0], "kill_wmpf")
            await asyncio.sleep(0.3)
            assert wmpf_pid(bed) is None
            room = await bed.call()  # the backend accepts: it does not know WMPF died
            await bed.until(lambda: "push_dropped" in bed.truth_events(0, room), 3, "push_dropped")
            rec = next(r for r in bed.models[0].truth.records if r["event"] == "push_dropped")
            assert rec["reason"] == "WMPF is not running"
            assert "push_received" not in bed.truth_events(0, room)
            assert bed.voip_events(0, room) == []
            # the phone side rings out after 60 s with nobody there
            await bed.until(lambda: bed.backend.rooms[room].end_reason == "timeout", 3, "caller timeout")

    asyncio.run(main())


def test_legacy_callback_is_lost_after_a_restart_v2_is_not() -> None:
    async def main() -> None:
        legacy = profile_with(host_app={**DIRECT, "push_listener": "legacy"})
        async with TestBed(profile=legacy) as bed:
            assert bed.models[0].service.legacy_callback is not None
            apply_fault(bed.models[0], "kill_wmpf")
            await bed.until(lambda: bed.models[0].service.activated, 5, "re-activated")
            await asyncio.sleep(0.1)
            assert bed.models[0].service.legacy_callback is None
            room = await bed.call()
            await bed.until(lambda: "push_dropped" in bed.truth_events(0, room), 3, "push_dropped")
            rec = [r for r in bed.models[0].truth.records if r["event"] == "push_dropped"][-1]
            assert rec["reason"] == "no push listener registered"
            lines = [e.message for e in bed.devices[0].logcat.entries() if e.tag == "WMPF.Service"]
            assert any("no push msg listener" in m for m in lines)

    asyncio.run(main())


def test_careful_legacy_app_re_registers_in_on_wmpf_restart() -> None:
    async def main() -> None:
        legacy = profile_with(host_app={**DIRECT, "push_listener": "legacy", "reregister_legacy_on_restart": True})
        async with TestBed(profile=legacy) as bed:
            apply_fault(bed.models[0], "kill_wmpf")
            await bed.until(lambda: bed.models[0].service.legacy_callback is not None, 5, "re-registered")
            room = await bed.call()
            await answer_and_hang_up(bed, room)

    asyncio.run(main())


def test_wmpf_crashes_on_push_then_recovers_for_the_next_call() -> None:
    async def main() -> None:
        async with TestBed(profile=profile_with(host_app=DIRECT, faults={"wmpf_crash_on_push": 1})) as bed:
            old = wmpf_pid(bed)
            room = await bed.call()
            await bed.until(lambda: "wmpf_crashed" in bed.truth_events(0, room), 3, "crash")
            crash = [e for e in bed.devices[0].logcat.entries() if e.tag == "AndroidRuntime"]
            assert crash and crash[0].pid == old
            await bed.until(lambda: TestBed.ready(bed.models[0]) and wmpf_pid(bed) != old, 5, "WMPF back")
            room2 = await bed.call()
            await answer_and_hang_up(bed, room2)

    asyncio.run(main())


def test_listener_registered_late_loses_an_early_call() -> None:
    async def main() -> None:
        profile = profile_with(host_app=DIRECT, faults={"listener_late_ms": 50000})  # 1 s scaled
        async with TestBed(profile=profile, wait_ready=False) as bed:
            m = bed.models[0]
            await bed.until(lambda: m.service.activated and m.service.push_token is not None, 5, "activated")
            room = await bed.call()  # before the listener exists
            await bed.until(lambda: "push_dropped" in bed.truth_events(0, room), 3, "push_dropped")
            await bed.until(lambda: TestBed.ready(m), 5, "listener registered")
            reg = next(r for r in m.truth.records if r["event"] == "listener_registered")
            act = next(r for r in m.truth.records if r["event"] == "wmpf_activated")
            assert (reg["host_mono_ns"] - act["host_mono_ns"]) / 1e9 >= 50 * 0.02 * 0.9
            room2 = await bed.call()
            await answer_and_hang_up(bed, room2)

    asyncio.run(main())


def test_reboot_brings_wmpf_and_the_host_app_back() -> None:
    async def main() -> None:
        async with TestBed(profile=profile_with(host_app=DIRECT)) as bed:
            apply_fault(bed.models[0], "reboot")
            # the device shuts down for the profile's shutdown_s before it goes away
            await bed.until(lambda: not bed.devices[0].online, 10, "went down")
            await bed.until(lambda: bed.devices[0].online and TestBed.ready(bed.models[0]), 10, "rebooted")
            room = await bed.call()
            await answer_and_hang_up(bed, room)

    asyncio.run(main())


def test_debug_broadcast_feeds_the_same_handler() -> None:
    async def main() -> None:
        async with TestBed() as bed:
            dev = bed.devices[0]
            push = ('{"path":"plugin-private://wxf830863afde621eb/pages/call-page-plugin/call-page-plugin?'
                    'roomType=voice&groupId=wxf830863afde621ebWmpfVoip42&listenerId=' + dev.serialno +
                    '&callerName=Debug","appType":0,"appid":"wx0123456789abcdef"}')
            n = dev.android.send_broadcast(Intent(action="com.example.wmpfhost.DEBUG_PUSH", extras={"msg": push}))
            assert n == 1
            await bed.until(lambda: bed.has_node(0, "wmpfhost:id/answer"), 3, "incoming screen")
            bed.click(0, "wmpfhost:id/answer")
            room = "wxf830863afde621ebWmpfVoip42"
            # no backend room: the plugin plays against a loopback caller (profile call.unknown_room)
            await bed.until(lambda: "calling" in bed.voip_events(0, room), 5, "calling")
            rec = next(r for r in bed.models[0].truth.records if r["event"] == "push_received")
            assert rec["source"] == "debug"
            bed.click(0, ":id/voip_hangup")
            await bed.until(lambda: "endVoip" in bed.voip_events(0, room), 3, "endVoip")

    asyncio.run(main())
