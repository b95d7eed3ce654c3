"""What a call's capture says about its media: per direction packets, bitrate, loss, jitter, gaps; a verdict.

Directions are the device's: ``sent`` (device → network) and ``received``. They come from the Linux cooked
header's packet type when the capture was taken on the device (``tcpdump -i any``), from ``device_ip`` for a
host-side capture, and otherwise from who sent the first STUN Binding Request (the device opens the path).

WeChat does not document its media format, so by default (``media_format="udp"``) the verdict comes from the
call's UDP flows alone: per direction packets, bytes, duration and gaps, and the first packet (for
``answer_to_media``). RTP decoding (loss, jitter, sequence gaps per SSRC) applies only when the app profile says
the media is RTP (``[media] format = "rtp"``).

Verdict: ``media_both_ways`` when each direction carried at least ``min_packets`` packets; otherwise the
failure stage ``no_media`` (nothing at all, e.g. the binding never completed) or ``one_way_media``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.analysis.rtp_stats import (
    DEFAULT_DYNAMIC_CLOCKS,
    STATIC_CLOCKS,
    DirectionSummary,
    StreamStats,
    find_gaps,
)
from harness.analysis.tshark import Row, read_rows

GAP_THRESHOLD_S = 1.0
MIN_PACKETS = 10
STUN_BINDING_REQUEST = 0x0001
STUN_BINDING_SUCCESS = 0x0101
VERDICT_OK = "media_both_ways"
STAGE_NO_MEDIA = "no_media"
STAGE_ONE_WAY = "one_way_media"


MEDIA_FORMATS = ("udp", "rtp")


@dataclass
class FlowStats:
    """One UDP flow (source → destination) of one direction: no assumption about what it carries."""

    src: tuple[str, int]
    dst: tuple[str, int]
    packets: int = 0
    ip_bytes: int = 0
    first: float = 0.0
    last: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"src": f"{self.src[0]}:{self.src[1]}", "dst": f"{self.dst[0]}:{self.dst[1]}",
                "packets": self.packets, "ip_bytes": self.ip_bytes, "first": self.first, "last": self.last}


@dataclass
class FlowDirection:
    """One direction's UDP flows: what the media verdict reads when the format is unknown."""

    direction: str
    flows: list[FlowStats]
    gaps: list[dict[str, float]]

    @property
    def packets(self) -> int:
        return sum(f.packets for f in self.flows)

    @property
    def first(self) -> float | None:
        return min((f.first for f in self.flows), default=None)

    @property
    def last(self) -> float | None:
        return max((f.last for f in self.flows), default=None)

    def to_dict(self) -> dict[str, Any]:
        first, last = self.first, self.last
        duration = (last - first) if first is not None and last is not None else 0.0
        ip_bytes = sum(f.ip_bytes for f in self.flows)
        return {"packets": self.packets, "ip_bytes": ip_bytes,
                "kbps": round(ip_bytes * 8 / duration / 1000, 1) if duration > 0 else None,
                "first": first, "last": last, "duration_s": round(duration, 3), "gaps": self.gaps,
                "flows": [f.to_dict() for f in sorted(self.flows, key=lambda f: -f.packets)]}


@dataclass
class MediaAnalysis:
    pcap: str
    sent: DirectionSummary | FlowDirection
    received: DirectionSummary | FlowDirection
    stun_requests: int = 0
    stun_responses: int = 0
    verdict: str = VERDICT_OK
    stage: str | None = None
    reason: str = ""
    analysis_s: float = 0.0
    direction_source: str = "sll"
    format: str = "rtp"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.stage is None

    @property
    def first_media(self) -> float | None:
        """Epoch seconds (capture clock) of the first media packet either way."""
        firsts = [t for t in (self.sent.first, self.received.first) if t is not None]
        return min(firsts) if firsts else None

    def direction(self, name: str) -> dict[str, Any]:
        return (self.sent if name == "sent" else self.received).to_dict()

    def to_dict(self) -> dict[str, Any]:
        return {"pcap": self.pcap, "format": self.format, "verdict": self.verdict, "stage": self.stage,
                "reason": self.reason,
                "first_media": self.first_media, "stun_requests": self.stun_requests,
                "stun_responses": self.stun_responses, "direction_source": self.direction_source,
                "sent": self.sent.to_dict(), "received": self.received.to_dict(),
                "analysis_s": round(self.analysis_s, 3)}


class _Classifier:
    def __init__(self, device_ip: str | None) -> None:
        self.device_ip = device_ip
        self.device: tuple[str, int] | None = None
        self.source = "sll"

    def outgoing(self, row: Row) -> bool:
        if row.pkttype is not None:
            return row.pkttype == 4
        if self.device_ip is not None:
            self.source = "device_ip"
            return row.src[0] == self.device_ip
        if self.device is None:
            self.device = row.src  # the first binding request (or, failing that, the first RTP packet)
            self.source = "stun" if row.stun_type == STUN_BINDING_REQUEST else "first_packet"
        return row.src == self.device


class _StunCount:
    """STUN binding requests and answers of a capture; a request also tells the classifier the device's side
    when nothing else did (the device opens the path to the relay)."""

    def __init__(self) -> None:
        self.requests = self.answers = 0

    def counted(self, row: Row, classify: _Classifier) -> bool:
        """True when ``row`` is STUN (counted here, not media)."""
        if row.stun_type is None:
            return False
        if row.stun_type == STUN_BINDING_REQUEST:
            self.requests += 1
            if classify.device is None and row.pkttype is None and classify.device_ip is None:
                classify.outgoing(row)
        elif row.stun_type == STUN_BINDING_SUCCESS:
            self.answers += 1
        return True


def _judge(out: MediaAnalysis, kind: str, min_packets: int) -> None:
    """No media either way is ``no_media``; fewer than ``min_packets`` one way is ``one_way_media``."""
    sent, received = out.sent.packets, out.received.packets
    what = "RTP" if kind == "RTP" else "UDP media"
    if sent == 0 and received == 0:
        out.verdict = out.stage = STAGE_NO_MEDIA
        stun = out.stun_requests
        out.reason = f"no {what} in the capture" + (
            f" ({stun} binding requests, {out.stun_responses} answered)" if stun else "")
    elif sent < min_packets or received < min_packets:
        out.verdict = out.stage = STAGE_ONE_WAY
        out.reason = f"{kind} one way only: {sent} packets sent, {received} received (need {min_packets} each way)"


def analyze_rows(rows: Iterable[Row], pcap: str = "", *, device_ip: str | None = None,
                 clocks: Mapping[int, int] | None = None, gap_threshold_s: float = GAP_THRESHOLD_S,
                 min_packets: int = MIN_PACKETS) -> MediaAnalysis:
    started = time.perf_counter()
    clock_map = {**STATIC_CLOCKS, **DEFAULT_DYNAMIC_CLOCKS, **(clocks or {})}
    classify = _Classifier(device_ip)
    streams: dict[tuple[int, tuple[str, int], tuple[str, int]], StreamStats] = {}
    times: dict[str, list[float]] = {"sent": [], "received": []}
    stun = _StunCount()
    for row in rows:
        if stun.counted(row, classify):  # connectivity checks open the path; they are not media
            continue
        if row.ssrc is None or row.seq is None or row.timestamp is None or row.pt is None:
            continue
        key = (row.ssrc, row.src, row.dst)
        stream = streams.get(key)
        if stream is None:
            direction = "sent" if classify.outgoing(row) else "received"
            stream = streams[key] = StreamStats(row.ssrc, row.pt, row.src, row.dst, direction, clock_map.get(row.pt))
        stream.add(row)
        times[stream.direction].append(row.time)
    for s in streams.values():
        s.finish()
    by_dir = {d: DirectionSummary(d, sorted((s for s in streams.values() if s.direction == d),
                                            key=lambda s: s.first), find_gaps(times[d], gap_threshold_s))
              for d in ("sent", "received")}
    out = MediaAnalysis(pcap, by_dir["sent"], by_dir["received"], stun.requests, stun.answers,
                        direction_source=classify.source)
    _judge(out, "RTP", min_packets)
    out.analysis_s = time.perf_counter() - started
    return out


def analyze_flows(rows: Iterable[Row], pcap: str = "", *, device_ip: str | None = None,
                  gap_threshold_s: float = GAP_THRESHOLD_S, min_packets: int = MIN_PACKETS) -> MediaAnalysis:
    """The verdict from UDP flows alone: which way packets went, how many, how long, with which gaps.

    The device's side is known from the cooked header or ``device_ip``; otherwise the sender of the first
    STUN binding request, or of the first packet (the device opens the path to the relay)."""
    started = time.perf_counter()
    classify = _Classifier(device_ip)
    flows: dict[tuple[tuple[str, int], tuple[str, int]], FlowStats] = {}
    direction_of: dict[tuple[tuple[str, int], tuple[str, int]], str] = {}
    times: dict[str, list[float]] = {"sent": [], "received": []}
    stun = _StunCount()
    for row in rows:
        if stun.counted(row, classify):  # connectivity checks open the path; they are not media
            continue
        key = (row.src, row.dst)
        flow = flows.get(key)
        if flow is None:
            flow = flows[key] = FlowStats(row.src, row.dst, first=row.time)
            direction_of[key] = "sent" if classify.outgoing(row) else "received"
        flow.packets += 1
        flow.ip_bytes += row.ip_len
        flow.last = row.time
        times[direction_of[key]].append(row.time)
    by_dir = {d: FlowDirection(d, [f for k, f in flows.items() if direction_of[k] == d],
                               find_gaps(times[d], gap_threshold_s)) for d in ("sent", "received")}
    out = MediaAnalysis(pcap, by_dir["sent"], by_dir["received"], stun.requests, stun.answers,
                        direction_source=classify.source, format="udp")
    _judge(out, "UDP", min_packets)
    out.analysis_s = time.perf_counter() - started
    return out


def analyze_pcap(pcap: str | Path, *, device_ip: str | None = None, clocks: Mapping[int, int] | None = None,
                 gap_threshold_s: float = GAP_THRESHOLD_S, min_packets: int = MIN_PACKETS,
                 decode_ports: Sequence[str] = (), tshark: str | None = None,
                 media_format: str = "udp") -> MediaAnalysis:
    """Analyse one capture with tshark ``-T fields``; raise :class:`TsharkError` if tshark cannot read it.

    ``media_format``: ``udp`` (default: flows only, no format assumed) or ``rtp`` (RTP streams decoded)."""
    if media_format not in MEDIA_FORMATS:
        raise ValueError(f"media_format must be one of {MEDIA_FORMATS}, got {media_format!r}")
    started = time.perf_counter()
    rows = read_rows(pcap, tshark=tshark, decode_ports=decode_ports, packets=media_format)
    if media_format == "udp":
        out = analyze_flows(rows, str(pcap), device_ip=device_ip, gap_threshold_s=gap_threshold_s,
                            min_packets=min_packets)
    else:
        out = analyze_rows(rows, str(pcap), device_ip=device_ip, clocks=clocks, gap_threshold_s=gap_threshold_s,
                           min_packets=min_packets)
    out.analysis_s = time.perf_counter() - started
    return out
