"""Call scenarios end to end in one process: phone backend → WMPF → host app → call page.

Each test asserts the documented ``onVoipEvent`` sequence (facts doc §1.1) both in the device's logcat and
in the ground truth. time_scale 0.02 plays the 60 s ring timeout in 1.2 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from harness.callers.phone import PhoneApiError
from tests.testbed import TestBed, collapse_calling, profile_with

DIRECT = profile_with(host_app={"incoming_ui": "direct"})


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro_fn())


async def until_event(bed: TestBed, room: str, name: str, timeout: float = 5.0, index: int = 0) -> None:
    await bed.until(lambda: name in bed.voip_events(index, room), timeout, f"{name} in room {room}")


def test_answered_on_host_screen_then_caller_hangs_up() -> None:
    async def main() -> None:
        async with TestBed() as bed:
            room = await bed.call(nick_name="Alice")
            await bed.until(lambda: bed.has_node(0, "wmpfhost:id/answer"), 3, "incoming screen")
            texts = [n.text for n in bed.devices[0].android.screen.tree().walk()]
            assert "Alice" in texts
            assert bed.click(0, "wmpfhost:id/answer")
            await bed.until(lambda: bed.voip_events(0, room).count("calling") >= 3, 5, "3 calling events")
            assert bed.has_node(0, ":id/voip_hangup")
            await bed.run(bed.client.hang_up, room)
            await until_event(bed, room, "finishVoip")
            assert collapse_calling(bed.voip_events(0, room)) == [
                "callPageOnShow", "hangOnVoip", "startVoip", "calling", "hangUpVoip", "endVoip", "finishVoip"]
            truth = bed.truth_events(0, room)
            for a, b in [("call_placed", "push_delivered"), ("push_delivered", "push_received"),
                         ("push_received", "ring_shown"), ("ring_shown", "answer_tapped"),
                         ("answer_tapped", "answered"), ("answered", "connected"), ("connected", "ended")]:
                assert truth.index(a) < truth.index(b), (a, b, truth)
            calls = [r for r in bed.models[0].truth.records if r["event"] == "onVoipEvent"
                     and r.get("name") == "calling" and r["room_id"] == room]
            assert [r["data"]["keepTime"] for r in calls] == list(range(1, len(calls) + 1))
            hang = next(r for r in bed.models[0].truth.records if r.get("name") == "hangUpVoip")
            assert hang["data"]["status"] == "endByCaller" and hang["data"]["origin"] == "other"
            state = await bed.run(bed.client.call_state, room)
            assert state["state"] == "ended" and state["endReason"] == "hung_up_by_caller"
            # end mode "background": the page is gone, the Mini Program stays warm
            await bed.until(lambda: bed.models[0].miniprogram.state == "background", 3, "backgrounded")

    run(main)


def test_answered_on_call_page_then_device_hangs_up() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            room = await bed.call(room_type="voice", nick_name="Bob")
            await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 3, "ringing call page")
            assert bed.click(0, ":id/voip_answer")
            await bed.until(lambda: "calling" in bed.voip_events(0, room), 5, "calling")
            assert bed.click(0, ":id/voip_hangup")
            await until_event(bed, room, "finishVoip")
            assert collapse_calling(bed.voip_events(0, room)) == [
                "callPageOnShow", "hangOnVoip", "startVoip", "calling", "hangUpVoip", "endVoip", "finishVoip"]
            state = await bed.run(bed.client.call_state, room)
            assert state["endReason"] == "hung_up_by_listener"
            assert [e["eventName"] for e in state["callerEvents"]][-2:] == ["hangUpVoip", "endVoip"]

    run(main)


def test_device_rejects() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            room = await bed.call()
            await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 3, "ringing call page")
            bed.click(0, ":id/voip_hangup")
            await until_event(bed, room, "finishVoip")
            assert bed.voip_events(0, room) == ["callPageOnShow", "rejectVoip", "endVoip", "finishVoip"]
            assert (await bed.run(bed.client.call_state, room))["endReason"] == "rejected"

    run(main)


def test_decline_on_host_screen_rejects_through_the_plugin() -> None:
    async def main() -> None:
        async with TestBed() as bed:
            room = await bed.call()
            await bed.until(lambda: bed.has_node(0, "wmpfhost:id/decline"), 3, "incoming screen")
            bed.click(0, "wmpfhost:id/decline")
            await until_event(bed, room, "finishVoip")  # not endVoip: finishVoip may follow it at once
            assert bed.voip_events(0, room) == ["callPageOnShow", "rejectVoip", "endVoip", "finishVoip"]
            reject = next(r for r in bed.models[0].truth.records if r.get("name") == "rejectVoip")
            assert reject["data"] == {"status": "forceFromApp"}

    run(main)


def test_caller_cancels_before_answer() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            room = await bed.call()
            await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 3, "ringing call page")
            await bed.run(bed.client.cancel, room)
            await until_event(bed, room, "endVoip")
            assert bed.voip_events(0, room)[:3] == ["callPageOnShow", "cancelVoip", "endVoip"]
            cancel = next(r for r in bed.models[0].truth.records if r.get("name") == "cancelVoip")
            assert cancel["data"] == {"status": "other"}
            with pytest.raises(PhoneApiError) as err:
                await bed.run(bed.client.cancel, room)
            assert err.value.status == 409 and "ended" in err.value.err_msg

    run(main)


def test_nobody_answers_within_60s() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            room = await bed.call()
            await until_event(bed, room, "endVoip", timeout=5)
            assert bed.voip_events(0, room)[:3] == ["callPageOnShow", "timeout", "endVoip"]
            rec = bed.models[0].truth.records
            placed = next(r for r in rec if r["event"] == "call_placed")["host_mono_ns"]
            timed_out = next(r for r in rec if r.get("name") == "timeout")["host_mono_ns"]
            assert (timed_out - placed) / 1e9 == pytest.approx(60 * 0.02, abs=0.15)
            state = await bed.run(bed.client.call_state, room)
            assert [e["eventName"] for e in state["callerEvents"]][-2:] == ["timeout", "endVoip"]

    run(main)


def test_caller_never_joins_device_aborts_after_20s() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            room = await bed.call(callerJoins=False)
            await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 3, "ringing call page")
            bed.click(0, ":id/voip_answer")
            await until_event(bed, room, "endVoip")
            assert bed.voip_events(0, room)[:4] == ["callPageOnShow", "hangOnVoip", "abortVoip", "endVoip"]
            rec = bed.models[0].truth.records
            abort = next(r for r in rec if r.get("name") == "abortVoip")
            assert abort["data"]["status"] == "abortByListener"
            assert abort["data"]["error"]["errMsg"] == "listener waitOtherToJoin timeout"
            answered = next(r for r in rec if r["event"] == "answered")["host_mono_ns"]
            assert (abort["host_mono_ns"] - answered) / 1e9 == pytest.approx(20 * 0.02, abs=0.1)

    run(main)


def test_second_call_while_busy() -> None:
    async def main() -> None:
        async with TestBed() as bed:
            first = await bed.call(nick_name="Alice")
            await bed.until(lambda: bed.has_node(0, "wmpfhost:id/answer"), 3, "incoming screen")
            bed.click(0, "wmpfhost:id/answer")
            await until_event(bed, first, "calling")
            second = await bed.call(0, nick_name="Carol")
            await bed.until(lambda: "busy" in bed.truth_events(0, second), 3, "busy")
            state = await bed.run(bed.client.call_state, second)
            assert state["endReason"] == "busy"
            assert [e["eventName"] for e in state["callerEvents"]] == ["joinedRoomByCaller", "busy", "endVoip"] or \
                [e["eventName"] for e in state["callerEvents"]] == ["busy", "endVoip"]
            # the first call carries on
            n = bed.voip_events(0, first).count("calling")
            await bed.until(lambda: bed.voip_events(0, first).count("calling") > n, 2, "more calling")
            assert bed.voip_events(0, second) == ["callPageOnShow"] or "hangOnVoip" not in bed.voip_events(0, second)
            await bed.run(bed.client.hang_up, first)
            await until_event(bed, first, "endVoip")

    run(main)


def test_caller_loses_network_mid_call() -> None:
    async def main() -> None:
        async with TestBed(profile=DIRECT) as bed:
            room = await bed.call()
            await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 3, "ringing call page")
            bed.click(0, ":id/voip_answer")
            await until_event(bed, room, "calling")
            await bed.run(bed.client.lose_network, room)
            await until_event(bed, room, "endVoip")
            events = collapse_calling(bed.voip_events(0, room))
            assert events[-3:] == ["abortVoip", "endVoip", "finishVoip"] or events[-2:] == ["abortVoip", "endVoip"]
            abort = next(r for r in bed.models[0].truth.records if r.get("name") == "abortVoip")
            assert abort["data"]["error"]["errMsg"] == "call interrupted due to native reason"

    run(main)


def test_end_modes_end_page_and_exit() -> None:
    async def main() -> None:
        from simulator.profile import FIXTURES_DIR, load_profile

        end_page = profile_with(host_app={"incoming_ui": "direct"}, call={"end_mode": "end_page"})
        async with TestBed(profile=end_page) as bed:
            room = await bed.call()
            await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 3, "ringing")
            bed.click(0, ":id/voip_answer")
            await until_event(bed, room, "startVoip")
            bed.click(0, ":id/voip_hangup")
            await bed.until(lambda: bed.models[0].miniprogram.page == "end", 3, "end page")
            texts = [n.text for n in bed.devices[0].android.screen.tree().walk()]
            assert "Call ended" in texts
            assert any("setVoipEndPagePath" in e.message for e in bed.devices[0].logcat.entries())

        kiosk = load_profile(FIXTURES_DIR / "wmpf-kiosk.toml")  # direct UI, legacy listener, end_mode exit
        async with TestBed(profile=kiosk) as bed:
            for _ in range(2):
                room = await bed.call()
                await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 5, "ringing")
                bed.click(0, ":id/voip_answer")
                await until_event(bed, room, "startVoip")
                bed.click(0, ":id/voip_hangup")
                await bed.until(lambda: bed.models[0].miniprogram.state == "stopped", 3, "exited")
            launches = [r["cold"] for r in bed.models[0].truth.records if r["event"] == "miniprogram_launch"]
            assert launches == [False, True]  # warmed up at start, then cold after exitMiniProgram

    run(main)
