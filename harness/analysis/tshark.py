"""Running tshark for the analysis: one ``-T fields`` pass that prints only what the statistics need.

Why fields and not pyshark objects: tshark dissects a 20k-packet capture in about half a second this way,
while pyshark builds a Python object per packet (2-30 s, see the ecosystem notes). RTP is found by tshark's
``rtp_udp`` heuristic (version 2, sane header), which also leaves the STUN binding exchange to the STUN
dissector; labs that know their media ports can add ``-d udp.port==A-B,rtp`` through ``decode_ports``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

FIELDS = ("frame.time_epoch", "sll.pkttype", "ip.src", "udp.srcport", "ip.dst", "udp.dstport", "ip.len",
          "rtp.ssrc", "rtp.seq", "rtp.timestamp", "rtp.p_type", "stun.type")


class TsharkError(HarnessError):
    """tshark is missing or could not read the capture; the message says which and what to do."""


@dataclass(frozen=True)
class Row:
    """One RTP or STUN packet as tshark printed it."""

    time: float
    pkttype: int | None  # Linux cooked capture: 0 to us, 4 sent by us; None on other link types
    src: tuple[str, int]
    dst: tuple[str, int]
    ip_len: int
    ssrc: int | None = None
    seq: int | None = None
    timestamp: int | None = None
    pt: int | None = None
    stun_type: int | None = None


def find_tshark(path: str | None = None) -> str:
    found = shutil.which(path or "tshark")
    if found is None:
        raise TsharkError(f"tshark not found on PATH ({path or 'tshark'}): install it (Debian: apt-get install "
                          "tshark; preseed wireshark-common/install-setuid false) to analyse captures")
    return found


# What the analysis reads: every UDP packet (the media format is not assumed), or RTP and STUN only.
DISPLAY_FILTERS = {"udp": "udp", "rtp": "rtp.version == 2 || stun"}


def fields_command(tshark: str, pcap: Path, decode_ports: Sequence[str] = (), packets: str = "rtp") -> list[str]:
    cmd = [tshark, "-r", str(pcap), "-n", "--enable-heuristic", "rtp_udp"]
    for ports in decode_ports:
        cmd += ["-d", f"udp.port=={ports},rtp"]
    cmd += ["-Y", DISPLAY_FILTERS[packets], "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
    for name in FIELDS:
        cmd += ["-e", name]
    return cmd


def _int(text: str, base: int = 10) -> int | None:
    return int(text, base) if text else None


def parse_line(line: str) -> Row | None:
    parts = line.rstrip("\n").split("\t")
    if len(parts) < len(FIELDS) or not parts[0] or not parts[3]:
        return None
    t, pkttype, sip, sport, dip, dport, ip_len, ssrc, seq, ts, pt, stun_type = parts[:12]
    return Row(float(t), _int(pkttype), (sip, int(sport)), (dip, int(dport)), _int(ip_len) or 0,
               _int(ssrc, 16), _int(seq), _int(ts), _int(pt), _int(stun_type, 16))


def read_rows(pcap: str | Path, *, tshark: str | None = None, decode_ports: Sequence[str] = (),
              timeout: float = 600.0, packets: str = "rtp") -> Iterator[Row]:
    """Stream the capture's packets as rows: ``packets="rtp"`` RTP and STUN, ``"udp"`` every UDP packet
    (tshark's output is parsed as it arrives)."""
    pcap = Path(pcap)
    if not pcap.is_file():
        raise TsharkError(f"capture file {pcap} does not exist")
    cmd = fields_command(find_tshark(tshark), pcap, decode_ports, packets)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1 << 20)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        for line in proc.stdout:
            row = parse_line(line)
            if row is not None:
                yield row
        err = proc.stderr.read()
        status = proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # "Running as user root" is a warning; "appears to have been cut short" still leaves usable packets
    problems = [ln for ln in err.splitlines() if ln.strip() and "Running as user" not in ln]
    if status != 0 and not any("cut short" in ln for ln in problems):
        raise TsharkError(f"tshark could not read {pcap} (exit {status}): {' | '.join(problems)[:500]}")
