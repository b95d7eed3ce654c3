"""Media analysis on synthetic captures with exact ground truth: loss, jitter, gaps, verdicts, directions,
answer_to_media; cross-checked against tshark's own RTP statistics and the pyshark path."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.analysis import analyze_pcap, analyze_rows, apply_analysis
from harness.analysis.rtp_stats import StreamStats
from harness.analysis.tshark import Row
from harness.results.records import CallRecord, EventStamp, Outcome, Stage
from simulator.media import stun
from simulator.media.pcap import GLOBAL_HEADER, PacketFormatter
from simulator.media.synth import DEVICE, RELAY, synthesize_call

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is missing (make deps installs it)")


@pytest.fixture(scope="module")
def impaired(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("pcap") / "impaired.pcap"
    return synthesize_call(path, duration_s=40, room_type="video", loss_pct=5, jitter_ms=8, outages=[(12.0, 3.0)],
                           seed=4)


def test_loss_jitter_and_gap_match_the_ground_truth(impaired) -> None:
    a = analyze_pcap(impaired.path)
    down = impaired.truth["down"]
    received, sent = a.direction("received"), a.direction("sent")
    assert received["lost"] == down["lost"] + down["outage"]
    assert received["packets"] == down["forwarded"]
    assert sent["lost"] == 0 and sent["gaps"] == []
    assert [round(g["duration_s"], 1) for g in received["gaps"]] == [3.0]
    assert received["gaps"][0]["start"] - impaired.truth["start_epoch"] == pytest.approx(12.0, abs=0.1)
    audio = next(s for s in received["streams"] if s["payload_type"] == 111)
    assert audio["jitter_ms_mean"] == pytest.approx(8.0, rel=0.15)
    assert 1700 < received["kbps"] + sent["kbps"] < 2100  # ~2 Mbit/s video call, less the losses
    assert a.verdict == "media_both_ways" and a.ok


def test_our_loss_equals_tsharks_rtp_streams(tmp_path, impaired) -> None:
    # Without jitter (no reordering) tshark's -z rtp,streams and we agree packet for packet. With reordering
    # across a sequence wrap tshark 4.0 counts a whole extra cycle (65536 x2) as lost; we count the truth.
    steady = synthesize_call(tmp_path / "steady.pcap", duration_s=20, room_type="video", loss_pct=3,
                             outages=[(5.0, 2.0)], seed=9)

    def tshark_lost(path: Path) -> list[int]:
        out = subprocess.run(["tshark", "-r", str(path), "-q", "--enable-heuristic", "rtp_udp", "-z", "rtp,streams"],
                             capture_output=True, text=True, check=True).stdout
        return sorted(int(n) for n in re.findall(r"\s(\d+) \([\d.]+%\)", out))

    def our_lost(path: Path) -> list[int]:
        a = analyze_pcap(path)
        return sorted(s["lost"] for d in ("sent", "received") for s in a.direction(d)["streams"])

    assert our_lost(steady.path) == tshark_lost(steady.path)
    assert sum(our_lost(impaired.path)) == impaired.truth["down"]["lost"] + impaired.truth["down"]["outage"]


def test_pyshark_per_packet_path_agrees_on_a_short_capture(tmp_path) -> None:
    from harness.analysis.pyshark_path import pyshark_analysis

    short = synthesize_call(tmp_path / "short.pcap", duration_s=2, room_type="voice", loss_pct=5, jitter_ms=5)
    fast, slow = analyze_pcap(short.path), pyshark_analysis(short.path)
    for direction in ("sent", "received"):
        a, b = fast.direction(direction), slow.direction(direction)
        for key in ("packets", "lost", "loss_pct", "jitter_ms_mean", "jitter_ms_max", "gaps"):
            assert a[key] == b[key], (direction, key)


def _stun_only(path: Path, requests: int) -> Path:
    fmt = PacketFormatter(b"\x02\0\0\0\0\1")
    with path.open("wb") as out:
        out.write(GLOBAL_HEADER)
        for i in range(requests):
            request, _ = stun.binding_request("dev:room")
            out.write(fmt.record(int((1_800_000_000 + 0.5 * 2**i) * 1e9), True, DEVICE, RELAY, request))
    return path


def test_no_rtp_is_no_media_and_fails_a_connected_call(tmp_path) -> None:
    a = analyze_pcap(_stun_only(tmp_path / "nomedia.pcap", 4))
    assert a.stage == "no_media" and a.stun_requests == 4 and "4 binding requests, 0 answered" in a.reason
    record = CallRecord(scenario="t", serial="s")
    record.add_event(EventStamp("answered", 1_800_000_000_000.0, 0.0, 1.0))
    record.add_event(EventStamp("connected", 1_800_000_000_700.0, 0.0, 1.0))
    apply_analysis(a, record)
    assert record.outcome is Outcome.FAILED and record.stage is Stage.NO_MEDIA
    assert "answer_to_media" not in record.latencies


def test_one_way_media(tmp_path) -> None:
    rows = [Row(1000.0 + i * 0.02, 4, DEVICE, RELAY, 200, 7, i, i * 960, 111) for i in range(100)]
    a = analyze_rows(rows)
    assert a.stage == "one_way_media" and "100 packets sent, 0 received" in a.reason


def test_directions_without_cooked_headers() -> None:
    def row(t: float, src, dst, seq: int, ssrc: int, stun_type: int | None = None) -> Row:
        if stun_type is not None:
            return Row(t, None, src, dst, 60, stun_type=stun_type)
        return Row(t, None, src, dst, 200, ssrc, seq, seq * 960, 111)

    dev, relay = ("10.0.0.5", 40000), ("203.0.113.1", 3478)
    rows = [row(0.0, dev, relay, 0, 0, stun_type=1), row(0.01, relay, dev, 0, 0, stun_type=0x101)]
    rows += [row(0.02 * i + 0.05, relay, dev, i, 1) for i in range(20)] + [row(0.02 * i + 0.06, dev, relay, i, 2)
                                                                          for i in range(30)]
    by_stun = analyze_rows(rows)
    assert by_stun.direction_source == "stun" and by_stun.sent.packets == 30 and by_stun.received.packets == 20
    by_ip = analyze_rows(rows, device_ip="10.0.0.5")
    assert by_ip.direction_source == "device_ip" and by_ip.sent.packets == 30


def test_sequence_wrap_reordering_and_duplicates_are_not_loss() -> None:
    s = StreamStats(1, 111, ("a", 1), ("b", 2), "received", 48000)
    seqs = [65533, 65534, 0, 65535, 1, 1, 3]  # reordered across the wrap, one duplicate, 2 missing
    for i, seq in enumerate(seqs):
        s.add(Row(i * 0.02, 0, ("a", 1), ("b", 2), 100, 1, seq, i * 960, 111))
    s.finish()
    assert (s.expected, s.lost, s.duplicates) == (7, 1, 1)


def test_answer_to_media_on_device_and_host_clocks(impaired) -> None:
    a = analyze_pcap(impaired.path)
    record = CallRecord(scenario="t", serial="s")
    answered_device_ms = impaired.truth["start_epoch"] * 1000 - 850.0
    record.add_event(EventStamp("answered", answered_device_ms, answered_device_ms + 5000.0, 3.0))
    apply_analysis(a, record)
    fig = record.latencies["answer_to_media"]
    assert fig.ms == pytest.approx(a.first_media * 1000 - answered_device_ms)
    assert fig.ms == pytest.approx(850.0, abs=1.0) and fig.bound_ms < 1.5
    host = CallRecord(scenario="t", serial="s")
    host.add_event(EventStamp("answered", answered_device_ms, answered_device_ms + 5000.0, 3.0))
    apply_analysis(a, host, clock="host")
    assert host.latencies["answer_to_media"].ms == pytest.approx(850.0 - 5000.0, abs=1.0)
    assert host.latencies["answer_to_media"].bound_ms == pytest.approx(4.0)


def test_unreadable_capture_is_a_typed_error(tmp_path) -> None:
    from harness.analysis import TsharkError

    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"this is not a capture")
    with pytest.raises(TsharkError, match="could not read"):
        analyze_pcap(bad)
    with pytest.raises(TsharkError, match="does not exist"):
        analyze_pcap(tmp_path / "missing.pcap")
