"""Media judged without assuming a format: UDP flows per direction (packets, bytes, duration, gaps, first
packet), on synthetic captures whose payload is not RTP; RTP decoding only when the profile says RTP."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness.analysis import analyze_pcap, apply_analysis
from harness.results.records import CallRecord, EventStamp, Outcome, Stage
from simulator.media.pcap import GLOBAL_HEADER, PacketFormatter
from simulator.media.synth import DEVICE, RELAY

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed (.ci/run installs it)")
START = 1_800_000_000.0


def opaque_call(path: Path, *, up: int, down: int, period_s: float = 0.02, outage: tuple[float, float] | None = None
                ) -> Path:
    """A call whose packets are random bytes (no RTP header): ``up`` sent by the device, ``down`` received."""
    fmt = PacketFormatter(b"\x02\0\0\0\0\1")
    records = []
    for direction, count in (("up", up), ("down", down)):
        for i in range(count):
            t = START + 0.5 + i * period_s + (0.001 if direction == "down" else 0.0)
            if outage and direction == "down" and outage[0] <= t - START < outage[0] + outage[1]:
                continue
            payload = b"\x00" + os.urandom(159)  # first byte 0: never an RTP version 2 header
            src, dst = (DEVICE, RELAY) if direction == "up" else (RELAY, DEVICE)
            records.append((t, direction == "up", src, dst, payload))
    with path.open("wb") as out:
        out.write(GLOBAL_HEADER)
        for t, outgoing, src, dst, payload in sorted(records):
            out.write(fmt.record(int(t * 1e9), outgoing, src, dst, payload))
    return path


def test_opaque_media_both_ways_passes_by_flows_and_is_invisible_to_rtp(tmp_path: Path) -> None:
    pcap = opaque_call(tmp_path / "opaque.pcap", up=200, down=150)
    flows = analyze_pcap(pcap)
    assert flows.format == "udp" and flows.verdict == "media_both_ways" and flows.ok
    assert (flows.sent.packets, flows.received.packets) == (200, 150)
    sent = flows.direction("sent")
    assert sent["ip_bytes"] == 200 * (20 + 8 + 160) and sent["duration_s"] == pytest.approx(199 * 0.02, abs=1e-3)
    assert len(sent["flows"]) == 1 and sent["flows"][0]["src"].startswith(DEVICE[0])
    assert flows.first_media == pytest.approx(START + 0.5)
    rtp = analyze_pcap(pcap, media_format="rtp")
    assert rtp.stage == "no_media"  # the old assumption: a call with undocumented media "had none"


def test_one_way_and_no_media_by_flows(tmp_path: Path) -> None:
    one_way = analyze_pcap(opaque_call(tmp_path / "oneway.pcap", up=100, down=0))
    assert one_way.stage == "one_way_media" and "100 packets sent, 0 received" in one_way.reason
    none = analyze_pcap(opaque_call(tmp_path / "none.pcap", up=0, down=0))
    assert none.stage == "no_media"
    record = CallRecord(scenario="t", serial="s")
    record.add_event(EventStamp("answered", START * 1000, 0.0, 1.0))
    record.add_event(EventStamp("connected", START * 1000 + 300, 0.0, 1.0))
    apply_analysis(one_way, record)
    assert record.outcome is Outcome.FAILED and record.stage is Stage.ONE_WAY_MEDIA


def test_gaps_and_answer_to_media_from_the_first_packet(tmp_path: Path) -> None:
    flows = analyze_pcap(opaque_call(tmp_path / "gap.pcap", up=300, down=300, outage=(2.0, 1.5)))
    gaps = flows.direction("received")["gaps"]
    assert [round(g["duration_s"], 1) for g in gaps] == [1.5] and flows.direction("sent")["gaps"] == []
    record = CallRecord(scenario="t", serial="s")
    record.add_event(EventStamp("answered", START * 1000 + 100.0, 0.0, 1.0))
    apply_analysis(flows, record)
    assert record.latencies["answer_to_media"].ms == pytest.approx(400.0, abs=0.01)
    assert record.extra["media"]["format"] == "udp"


def test_an_unknown_media_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="media_format"):
        analyze_pcap(opaque_call(tmp_path / "x.pcap", up=1, down=1), media_format="srtp")
