"""The same analysis through pyshark, one Python object per packet: the cross-check and the slow baseline.

pyshark runs tshark under asyncio, so it must run in the main thread of a process without a running event
loop (ecosystem notes); :func:`pyshark_analysis` is meant for benchmarks and tests, not the call path.
``use_json=True`` is the fastest pyshark mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from harness.analysis.media import MediaAnalysis, analyze_rows
from harness.analysis.tshark import Row


def _rows(pcap: Path) -> Iterator[Row]:
    import pyshark

    with pyshark.FileCapture(str(pcap), use_json=True, keep_packets=False,
                             display_filter="rtp.version == 2 || stun",
                             custom_parameters=["--enable-heuristic", "rtp_udp"]) as cap:
        for pkt in cap:
            sll = getattr(pkt, "sll", None)
            pkttype = int(sll.pkttype) if sll is not None and hasattr(sll, "pkttype") else None
            ip, udp = pkt.ip, pkt.udp
            common = dict(time=float(pkt.sniff_timestamp), pkttype=pkttype, src=(ip.src, int(udp.srcport)),
                          dst=(ip.dst, int(udp.dstport)), ip_len=int(ip.len))
            if hasattr(pkt, "stun"):
                yield Row(**common, stun_type=int(pkt.stun.type, 16))
            elif hasattr(pkt, "rtp"):
                r = pkt.rtp
                yield Row(**common, ssrc=int(r.ssrc, 16), seq=int(r.seq), timestamp=int(r.timestamp),
                          pt=int(r.p_type))


def pyshark_analysis(pcap: str | Path) -> MediaAnalysis:
    import time

    started = time.perf_counter()
    out = analyze_rows(_rows(Path(pcap)), str(pcap))
    out.analysis_s = time.perf_counter() - started
    return out
