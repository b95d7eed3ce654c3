"""RTP packets (RFC 3550 §5.1): the 12-byte fixed header the analysis reads back from captures.

Only what media needs: version 2, no padding/extension/CSRC, marker, payload type, sequence number,
timestamp, SSRC. Sequence numbers and timestamps wrap like the real fields (16 and 32 bits).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_HEADER = struct.Struct("!BBHII")
HEADER_LEN = _HEADER.size

PT_OPUS = 111  # dynamic payload types, as WebRTC-like stacks use them
PT_H264 = 96
AUDIO_CLOCK = 48000
VIDEO_CLOCK = 90000


def pack(pt: int, seq: int, timestamp: int, ssrc: int, payload: bytes | memoryview, marker: bool = False) -> bytes:
    """One RTP packet: header + payload."""
    return _HEADER.pack(0x80, (0x80 if marker else 0) | (pt & 0x7F), seq & 0xFFFF, timestamp & 0xFFFFFFFF,
                        ssrc & 0xFFFFFFFF) + bytes(payload)


@dataclass(frozen=True)
class RtpHeader:
    version: int
    marker: bool
    pt: int
    seq: int
    timestamp: int
    ssrc: int


def parse(data: bytes) -> RtpHeader | None:
    """The header of an RTP packet, or None if ``data`` is not RTP version 2 (e.g. a STUN message)."""
    if len(data) < HEADER_LEN or data[0] >> 6 != 2:
        return None
    b0, b1, seq, ts, ssrc = _HEADER.unpack_from(data)
    return RtpHeader(b0 >> 6, bool(b1 & 0x80), b1 & 0x7F, seq, ts, ssrc)


def is_rtp(data: bytes) -> bool:
    return len(data) >= HEADER_LEN and data[0] >> 6 == 2


# An "opaque" media packet (a maker whose media is not RTP): the same timing and sizes, its first byte this
# marker (version bits 00, so no RTP dissector takes it; STUN's magic cookie is never at bytes 4-7 by design).
OPAQUE_MARK = 0x17


def opaque(packet: bytes) -> bytes:
    """``packet`` (RTP) re-framed as a proprietary packet: marker byte, then a scrambled header and payload."""
    header = bytes(b ^ 0x5A for b in packet[1:HEADER_LEN])
    if header[3:7] == b"\x21\x12\xa4\x42":
        header = header[:3] + b"\0\0\0\0" + header[7:]
    return bytes([OPAQUE_MARK]) + header + packet[HEADER_LEN:]


def is_media(data: bytes) -> bool:
    """RTP, or the opaque format."""
    return is_rtp(data) or (len(data) >= HEADER_LEN and data[0] == OPAQUE_MARK)
