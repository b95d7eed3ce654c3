"""Ground truth: the JSONL file, and agreement with logcat once clock offset and drift are removed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from simulator.wmpf.truth import TruthRecorder
from tests.testbed import TestBed, profile_with

REQUIRED = {"event", "room_id", "host_ns", "host_mono_ns", "device_ms"}
OFFSET_S, DRIFT_PPM = 86400.0, 200.0


def test_truth_file_and_logcat_agree_after_removing_offset_and_drift(tmp_path: Path) -> None:
    async def main() -> None:
        profile = profile_with(host_app={"incoming_ui": "direct"}, clock_offset_s=OFFSET_S,
                               clock_drift_ppm=DRIFT_PPM)
        async with TestBed(profile=profile, truth_dir=tmp_path) as bed:
            room = await bed.call()
            await bed.until(lambda: bed.has_node(0, ":id/voip_answer"), 5, "ringing")
            bed.click(0, ":id/voip_answer")
            await bed.until(lambda: bed.voip_events(0, room).count("calling") >= 2, 5, "calling")
            await bed.run(bed.client.hang_up, room)
            await bed.until(lambda: "finishVoip" in bed.voip_events(0, room), 5, "finishVoip")
            dev = bed.devices[0]
            entries = [e for e in dev.logcat.entries() if e.tag == "WMPF.VoipPlugin"
                       and e.message.startswith("onVoipEvent ")]
            clock = dev.clock

        path = tmp_path / f"{dev.serialno}.jsonl"
        lines = path.read_text().splitlines()
        records = [json.loads(line) for line in lines]
        assert records == TruthRecorder.read(path)
        assert all(set(r) >= REQUIRED for r in records)
        events = {r["event"] for r in records}
        for name in ("call_placed", "push_delivered", "push_received", "ring_shown", "answer_tapped", "answered",
                     "connected", "ended", "wmpf_started", "listener_registered"):
            assert name in events, name
        voip = [r for r in records if r["event"] == "onVoipEvent"]
        assert [r["name"] for r in voip] == [json.loads(e.message[12:])["eventName"] for e in entries]
        rate = 1 + DRIFT_PPM * 1e-6
        wall0, mono0 = clock._host_wall0_ns, clock._host_mono0_ns
        for rec, entry in zip(voip, entries, strict=True):
            # device wall → host wall: remove the offset, undo the drift since the clock's anchor
            host_from_logcat = wall0 + (entry.wall_ns - OFFSET_S * 1e9 - wall0) / rate
            assert abs(host_from_logcat - rec["host_ns"]) < 1e6, (rec, entry)  # same instant, < 1 ms
            assert entry.wall_ns // 1_000_000 == rec["device_ms"]
            assert abs(rec["device_ms"] - (rec["host_ns"] / 1e6 + OFFSET_S * 1e3)) < 5  # drift ≪ 5 ms here
            assert rec["host_mono_ns"] - mono0 > 0
        # answered/connected/ended share the instant of their onVoipEvent line
        for alias, name in (("answered", "hangOnVoip"), ("connected", "startVoip"), ("ended", "endVoip")):
            a = next(r for r in records if r["event"] == alias)
            b = next(r for r in voip if r["name"] == name)
            assert a["host_mono_ns"] == b["host_mono_ns"] and a["device_ms"] == b["device_ms"]

    asyncio.run(main())


def test_every_device_gets_its_own_file(tmp_path: Path) -> None:
    async def main() -> None:
        async with TestBed(2, truth_dir=tmp_path) as bed:
            serials = [d.serialno for d in bed.devices]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{s}.jsonl" for s in serials)

    asyncio.run(main())
