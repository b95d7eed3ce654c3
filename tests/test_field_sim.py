"""The simulated device under field conditions, set through its shell as adb would: Doze holds a
normal-priority push until a maintenance window and lets a high-priority one through, standby buckets defer on
battery only, a network drop loses or delays pushes per profile, a screen-off device rings by waking the
screen, a leak shows in dumpsys meminfo and /proc/PID/status alike; every effect is in the ground truth."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from simulator.config_schema import ProfileError
from tests.shell_helpers import run
from tests.testbed import TestBed, profile_with

SCALE = 0.01
WMPF, HOST = "com.tencent.wmpf", "com.example.wmpfhost"


def bed_run(body: Callable[[TestBed], Awaitable[None]], **field: Any) -> None:
    tables: dict[str, dict[str, Any]] = {"field": field.pop("field", {})}
    if "leak" in field:
        tables["leak"] = field.pop("leak")
    if "host_app" in field:
        tables["host_app"] = field.pop("host_app")

    async def main() -> None:
        async with TestBed(profile=profile_with(**tables), time_scale=SCALE) as bed:
            await body(bed)

    asyncio.run(main())


def records(bed: TestBed, room: str | None = None, *events: str) -> list[dict[str, Any]]:
    return [r for r in bed.models[0].truth.records
            if (room is None or r["room_id"] == room) and (not events or r["event"] in events)]


async def sh(bed: TestBed, script: str) -> str:
    result = await run(bed.devices[0], script)
    assert result.status == 0, (script, result)
    return result.out


async def ring(bed: TestBed, room: str, timeout: float = 5.0) -> dict[str, Any]:
    await bed.until(lambda: records(bed, room, "ring_shown"), timeout, f"ring of {room}")
    return records(bed, room, "ring_shown")[0]


def span_ms(bed: TestBed, room: str, a: str, b: str) -> float:
    first = {r["event"]: r["host_mono_ns"] for r in reversed(records(bed, room))}
    return (first[b] - first[a]) / 1e6 / SCALE  # device (unscaled) milliseconds


@pytest.mark.parametrize("priority", ["normal", "high"])
def test_deep_doze_holds_a_normal_priority_push_until_the_maintenance_window(priority: str) -> None:
    async def body(bed: TestBed) -> None:
        out = await sh(bed, "input keyevent KEYCODE_SLEEP; dumpsys battery unplug; dumpsys deviceidle force-idle")
        assert "deep idle" in out
        await asyncio.sleep(2 * SCALE)  # 2 device seconds into idle: the first window is 10 s after its start
        room = await bed.call()
        shown = await ring(bed, room)
        push_to_ring = span_ms(bed, room, "call_placed", "ring_shown")
        held = records(bed, room, "push_held")
        if priority == "normal":
            assert [h["reason"] for h in held] == ["doze_deep"], held
            assert 6_000 <= held[0]["for_ms"] <= 10_000, held  # until the window at 10 s
            assert records(bed, room, "push_released")[0]["gate"] == "doze"
            assert push_to_ring >= held[0]["for_ms"]
        else:
            assert held == [] and push_to_ring < 3_000, (held, push_to_ring)
        assert shown["screen_woken"] is True and shown["over_keyguard"] is True  # woke the screen, over the lock
        assert records(bed, None, "doze_state")[0]["deep"] == "IDLE"

    bed_run(body, field={"push_priority": priority, "deep_maintenance_s": 10})


def test_leaving_doze_releases_a_held_push_at_once() -> None:
    async def body(bed: TestBed) -> None:
        await sh(bed, "dumpsys deviceidle force-idle")
        room = await bed.call()
        await bed.until(lambda: records(bed, room, "push_held"), 3, "held")
        await sh(bed, "dumpsys deviceidle unforce")
        await ring(bed, room, 2)
        assert span_ms(bed, room, "call_placed", "ring_shown") < 30_000  # long before the 300 s window

    bed_run(body, field={"deep_maintenance_s": 300})


def test_whitelisted_wmpf_is_not_held_and_light_idle_windows_come_sooner() -> None:
    async def body(bed: TestBed) -> None:
        assert (await sh(bed, "dumpsys deviceidle step light")).strip().endswith("INACTIVE")
        assert (await sh(bed, "dumpsys deviceidle step light")).strip().endswith("IDLE")
        room = await bed.call()
        await ring(bed, room)
        held = records(bed, room, "push_held")
        assert [h["reason"] for h in held] == ["doze_light"] and held[0]["for_ms"] <= 4_000, held
        await sh(bed, f"dumpsys deviceidle whitelist +{WMPF}")
        await bed.until(lambda: bed.models[0].miniprogram.session is None, 10, "first call over")
        room2 = await bed.call()
        await bed.until(lambda: records(bed, room2, "push_delivered"), 3, "delivered")
        assert records(bed, room2, "push_held") == []

    bed_run(body, field={"light_maintenance_s": 4})


def test_standby_buckets_defer_on_battery_only() -> None:
    async def body(bed: TestBed) -> None:
        await sh(bed, f"am set-standby-bucket {WMPF} rare; am set-inactive {HOST} true")
        assert (await sh(bed, f"am get-standby-bucket {WMPF}")).strip() == "40"
        assert (await sh(bed, f"am get-inactive {HOST}")).strip() == "Idle=true"
        plugged = await bed.call()
        await ring(bed, plugged)
        assert records(bed, plugged, "push_held") == []  # charging lifts app standby
        bed.click(0, "wmpfhost:id/decline")
        await sh(bed, "dumpsys battery unplug")
        room = await bed.call()
        await ring(bed, room)
        held = records(bed, room, "push_held")
        assert [h["reason"] for h in held] == ["standby_rare"] and held[0]["for_ms"] == 7_000, held
        assert span_ms(bed, room, "call_placed", "ring_shown") >= 7_000
        changes = records(bed, None, "standby_bucket")
        assert {(c["package"], c["bucket"]) for c in changes} >= {(WMPF, "rare"), (HOST, "rare")}

    bed_run(body, field={"standby_delay_s": {"rare": 7}})


@pytest.mark.parametrize("mode", ["late", "lost"])
def test_a_network_drop_loses_or_delays_pushes_per_profile(mode: str) -> None:
    async def body(bed: TestBed) -> None:
        await sh(bed, "svc wifi disable")
        room = await bed.call()
        await asyncio.sleep(5 * SCALE)
        await sh(bed, "cmd connectivity airplane-mode disable; svc wifi enable")
        network = records(bed, None, "network")
        assert [n["up"] for n in network] == [False, True] and network[0]["cause"] == "wifi_off"
        if mode == "lost":
            await bed.until(lambda: records(bed, room, "push_dropped"), 2, "dropped")
            assert "network down (wifi_off)" in records(bed, room, "push_dropped")[0]["reason"]
            await asyncio.sleep(10 * SCALE)
            assert records(bed, room, "ring_shown") == []
        else:
            await ring(bed, room)
            reasons = [h["reason"] for h in records(bed, room, "push_held")]
            assert reasons == ["network_wifi_off", "network_reconnect"], reasons
            assert span_ms(bed, room, "call_placed", "ring_shown") >= 5_000 + 2_000  # off, then the reconnect

    bed_run(body, field={"network_drop": mode, "reconnect_s": 2})


def test_airplane_mode_counts_as_a_network_drop() -> None:
    async def body(bed: TestBed) -> None:
        await sh(bed, "cmd connectivity airplane-mode enable")
        room = await bed.call()
        await bed.until(lambda: records(bed, room, "push_held"), 2, "held")
        assert records(bed, room, "push_held")[0]["reason"] == "network_airplane_mode"
        await sh(bed, "cmd connectivity airplane-mode disable")
        await ring(bed, room)

    bed_run(body, field={"reconnect_s": 0})


def test_screen_off_ring_is_hidden_without_wake_or_under_the_lock() -> None:
    async def body(bed: TestBed) -> None:
        await sh(bed, "input keyevent KEYCODE_SLEEP")
        room = await bed.call()
        await bed.until(lambda: records(bed, room, "ring_hidden"), 3, "ring hidden")
        assert records(bed, room, "ring_hidden")[0]["reason"] == "screen off"
        assert records(bed, room, "ring_shown") == []

    bed_run(body, host_app={"wake_screen": False})

    async def locked(bed: TestBed) -> None:
        await sh(bed, "input keyevent KEYCODE_SLEEP")
        assert records(bed, None, "keyguard")[-1]["locked"] is True
        room = await bed.call()
        await bed.until(lambda: records(bed, room, "ring_hidden"), 3, "ring hidden")
        assert records(bed, room, "ring_hidden")[0]["reason"] == "behind the lock screen"
        await sh(bed, "wm dismiss-keyguard")
        assert records(bed, None, "keyguard")[-1]["locked"] is False

    bed_run(locked, field={"show_when_locked": False})


def test_on_battery_with_the_screen_off_the_device_dozes_by_itself() -> None:
    async def body(bed: TestBed) -> None:
        await sh(bed, "input keyevent KEYCODE_SLEEP; dumpsys battery unplug")
        await bed.until(lambda: records(bed, None, "doze_state"), 5, "auto doze")
        assert (await sh(bed, "dumpsys deviceidle get deep")).strip() == "IDLE"
        room = await bed.call()
        await ring(bed, room, 10)
        assert records(bed, room, "push_held")[0]["reason"] == "doze_deep"
        await sh(bed, "dumpsys battery reset")
        await bed.until(lambda: len(records(bed, None, "doze_state")) >= 2, 5, "doze ends on the charger")
        assert records(bed, None, "doze_state")[-1]["deep"] == "ACTIVE"

    bed_run(body, field={"auto_idle_after_s": 120, "deep_maintenance_s": 20})


def _status(text: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"^(VmRSS|Threads|FDSize):\s+(\d+)", text, re.M)}


def test_a_leak_by_profile_shows_in_meminfo_and_proc_status_alike() -> None:
    async def body(bed: TestBed) -> None:
        pid = (await sh(bed, f"pidof {HOST}")).strip()

        async def sample() -> tuple[int, dict[str, int]]:
            meminfo = await sh(bed, f"dumpsys meminfo {HOST}")
            pss = int(re.search(r"TOTAL PSS:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
            rss = int(re.search(r"TOTAL RSS:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
            status = _status(await sh(bed, f"cat /proc/{pid}/status"))
            assert status["VmRSS"] == rss  # the two readers agree
            return pss, status

        pss0, status0 = await sample()
        for _ in range(10):  # the leak is per push the host app receives (ringing, or refused busy)
            room = await bed.call()
            await bed.until(lambda room=room: records(bed, room, "push_received"), 3, "push received")
        pss1, status1 = await sample()
        assert status1["VmRSS"] - status0["VmRSS"] == 10 * 1000
        assert pss1 > pss0
        assert status1["Threads"] - status0["Threads"] == 5
        assert status1["FDSize"] == 128 and status0["FDSize"] == 64  # 40 + 30 descriptors outgrow 64 slots
        wmpf = _status(await sh(bed, f"cat /proc/$(pidof {WMPF})/status"))
        assert wmpf["Threads"] == 1  # only the host app leaks in this profile

    bed_run(body, leak={"host_app_kb_per_call": 1000, "host_app_threads_per_call": 0.5,
                        "host_app_fds_per_call": 3})


def test_trim_memory_and_standby_commands_refuse_bad_input() -> None:
    async def body(bed: TestBed) -> None:
        dev = bed.devices[0]
        assert (await run(dev, f"am send-trim-memory {WMPF} RUNNING_CRITICAL")).status == 0
        trims = records(bed, None, "trim_memory")
        assert [(t["package"], t["level"]) for t in trims] == [(WMPF, 15)], trims
        bad = await run(dev, f"am send-trim-memory {WMPF} SOMETIMES")
        assert bad.status == 255 and "Unknown level" in bad.err
        bad = await run(dev, f"am set-standby-bucket {WMPF} sleepy")
        assert bad.status == 255 and "Unknown bucket" in bad.err
        bad = await run(dev, "am set-standby-bucket com.nope rare")
        assert bad.status == 255 and "Unknown package" in bad.err

    bed_run(body)


def test_field_profile_keys_are_validated() -> None:
    with pytest.raises(ProfileError) as info:
        from simulator.android.field import parse_field

        parse_field(profile_with(field={"push_priority": "urgent", "deep_maintenance_s": 0}))
    keys = [key for key, _ in info.value.problems]
    assert keys == ["field.push_priority", "field.deep_maintenance_s"], info.value.problems
