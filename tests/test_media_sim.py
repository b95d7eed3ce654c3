"""Media in the simulator: binding then RTP both ways while connected, stopped at the end; faults live."""

from __future__ import annotations

import itertools
import random
import statistics
import time

import pytest

from simulator.errors import ProfileError
from simulator.media import parse_media_table, rtp, stun
from simulator.media.impair import LossProcess
from simulator.wmpf import model_of
from simulator.wmpf.faults import FaultError, apply_fault
from tests.media_helpers import connect_call, hang_up, media_profile, media_state, wait_for


def test_rtp_header_round_trip() -> None:
    packet = rtp.pack(111, 70000, 2**32 + 5, 0xDEADBEEF, b"x" * 10, marker=True)
    head = rtp.parse(packet)
    assert head is not None and head.version == 2 and head.marker and head.pt == 111
    assert (head.seq, head.timestamp, head.ssrc) == (70000 & 0xFFFF, 5, 0xDEADBEEF)
    assert rtp.parse(b"\x00\x01" + b"\0" * 18) is None


def test_stun_binding_round_trip() -> None:
    request, tid = stun.binding_request("dev:room")
    msg = stun.parse(request)
    assert msg is not None and msg.kind == stun.BINDING_REQUEST and msg.username == "dev:room"
    answer = stun.parse(stun.binding_success(tid, ("127.0.0.1", 40000)))
    assert answer is not None and answer.transaction == tid and answer.mapped == ("127.0.0.1", 40000)
    assert stun.parse(rtp.pack(96, 1, 1, 1, b"")) is None


def test_even_loss_hits_the_rate_in_short_runs_and_bernoulli_is_seeded() -> None:
    even = LossProcess("even", random.Random(1))
    drops = [even.drop(5.0) for _ in range(400)]
    assert sum(drops) == 20
    assert len({i % 20 for i, d in enumerate(drops) if d}) > 5  # positions vary from block to block
    first, second = LossProcess("bernoulli", random.Random(7)), LossProcess("bernoulli", random.Random(7))
    assert [first.drop(5.0) for _ in range(500)] == [second.drop(5.0) for _ in range(500)]


def test_media_table_is_validated() -> None:
    cfg = parse_media_table({"voice_kbps": 270, "outages": [{"start_s": 1, "duration_s": 3}]})
    assert cfg.outages[0].duration_s == 3
    # voice: half of 270 kbit/s per direction at 50 packets/s, IP+UDP+RTP included
    assert (cfg.audio_payload() + 40) * 8 * 50 == pytest.approx(135_000, rel=0.01)
    with pytest.raises(ProfileError, match=r"media\.video_kbps"):
        parse_media_table({"voice_kbps": 300, "video_kbps": 200})
    with pytest.raises(ProfileError, match=r"media.outages\[0\].duration_s"):
        parse_media_table({"outages": [{"start_s": 1}]})
    with pytest.raises(ProfileError, match=r"media\.bogus"):
        parse_media_table({"bogus": 1})


def test_connected_call_exchanges_binding_then_rtp_both_ways_and_stops_at_hang_up(make_sim) -> None:
    sim = make_sim(1, time_scale=0.2)
    room = connect_call(sim, room_type="video")
    state = wait_for(lambda: (s := media_state(sim))["call"] and s["call"]["receivedRtp"] > 100 and s, 10,
                     "RTP both ways")
    call = state["call"]
    assert call["bound"] and call["bindingRequests"] == 1
    assert call["sentRtp"] > 100 and set(call["ssrcs"]) == {"audio", "video"}
    assert call["relay"][1] not in range(32768, 61000)
    hang_up(sim, room)
    after = media_state(sim)
    assert after["call"] is None and after["lastCall"]["active"] is False
    sent = after["lastCall"]["sentRtp"]
    time.sleep(0.3)
    assert media_state(sim)["lastCall"]["sentRtp"] == sent  # nothing is sent after the call ended
    assert sim.media_relay.legs == 0


def test_runtime_faults_reach_a_running_call_and_no_media_keeps_the_call_silent(make_sim) -> None:
    sim = make_sim(1, time_scale=0.2, profile=media_profile(faults={"no_media": True}))
    room = connect_call(sim)
    time.sleep(1.6)
    call = media_state(sim)["call"]
    assert not call["bound"] and call["bindingRequests"] >= 2 and call["sentRtp"] == 0
    assert call["receivedRtp"] == 0
    hang_up(sim, room)
    model = model_of(sim.device(0))
    assert sim.call(lambda: apply_fault(model, "media_loss_pct", 5))["faults"]["media_loss_pct"] == 5.0
    with pytest.raises(FaultError, match="percentage"):
        sim.call(lambda: apply_fault(model, "media_loss_pct", 150))


def test_jitter_model_gives_the_configured_mean_delay_difference() -> None:
    from simulator.media.impair import Impairment

    class C:
        media_loss_pct, media_jitter_ms, network_down = 0.0, 10.0, False

    imp = Impairment(C(), "even", random.Random(3))
    delays = [imp.decide("down", 0.0) for _ in range(5000)]
    diffs = [abs(a - b) * 1000 for a, b in itertools.pairwise(delays)]
    assert statistics.mean(diffs) == pytest.approx(10.0, rel=0.05)


def test_media_stops_when_wmpf_dies_mid_call(make_sim) -> None:
    sim = make_sim(1, time_scale=0.2)
    connect_call(sim)
    wait_for(lambda: (media_state(sim)["call"] or {}).get("receivedRtp", 0) > 10, 5, "media flowing")
    model = model_of(sim.device(0))
    sim.call(lambda: apply_fault(model, "kill_wmpf"))
    wait_for(lambda: media_state(sim)["call"] is None, 5, "media stopped with the call page")
    assert sim.media_relay.legs == 0
