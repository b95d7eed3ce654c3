"""What one side of a call sends: an audio stream (every ptime) and, in a video call, a video stream.

A source is a pure generator of RTP packets on an ideal schedule: ``due(t)`` returns every packet whose
send time is at or before ``t`` seconds after media start. RTP timestamps come from that schedule, not from
when the caller happened to wake up, so arrival jitter measured by a receiver is the network's (and the
event loop's), as in a real sender. Used by the device, by the relay (the phone's side) and by the pcap
synthesiser, so a synthetic capture and a live one have the same shape.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulator.media import rtp
from simulator.media.config import MediaConfig

# Payload bytes are sliced from one pseudo-random pool: the analysis never looks at them, the CPU does.
_POOL = random.Random(0x5EED).randbytes(64 * 1024)


@dataclass
class _Stream:
    kind: str  # "audio" | "video"
    pt: int
    clock: int
    interval_s: float
    ssrc: int
    seq: int
    ts0: int
    frame: int = 0  # index of the next frame to send


class MediaSource:
    def __init__(self, config: MediaConfig, room_type: str, rng: random.Random) -> None:
        self.config = config
        self.rng = rng
        self.audio_payload = config.audio_payload()
        self.streams = [self._stream("audio", rtp.PT_OPUS, rtp.AUDIO_CLOCK, config.ptime_ms / 1000)]
        if room_type == "video":
            self.streams.append(self._stream("video", rtp.PT_H264, rtp.VIDEO_CLOCK, 1 / config.video_fps))
        self.frame_bytes = config.video_frame_bytes()
        self._pool_pos = 0

    def _stream(self, kind: str, pt: int, clock: int, interval: float) -> _Stream:
        r = self.rng
        return _Stream(kind, pt, clock, interval, r.getrandbits(32), r.getrandbits(16), r.getrandbits(32))

    @property
    def ssrcs(self) -> dict[str, int]:
        return {s.kind: s.ssrc for s in self.streams}

    def _payload(self, n: int) -> memoryview:
        pos = self._pool_pos
        if pos + n > len(_POOL):
            pos = 0
        self._pool_pos = pos + n
        return memoryview(_POOL)[pos:pos + n]

    def next_due(self) -> float:
        """Seconds after media start at which the next packet is due."""
        return min(s.frame * s.interval_s for s in self.streams)

    def due(self, t: float) -> list[bytes]:
        """Every packet due by ``t`` seconds after media start, in send order (re-framed when not RTP)."""
        out = self._due(t)
        return [rtp.opaque(p) for p in out] if self.config.format == "opaque" else out

    def _due(self, t: float) -> list[bytes]:
        out: list[bytes] = []
        for s in self.streams:
            while s.frame * s.interval_s <= t:
                ts = s.ts0 + round(s.frame * s.interval_s * s.clock)
                if s.kind == "audio":
                    out.append(rtp.pack(s.pt, s.seq, ts, s.ssrc, self._payload(self.audio_payload)))
                    s.seq += 1
                else:
                    out.extend(self._frame(s, ts))
                s.frame += 1
        return out

    def _frame(self, s: _Stream, ts: int) -> list[bytes]:
        # a key frame every 2 s is three times larger; others vary by ±20 %, averaging the configured rate
        keyframe = s.frame % max(1, 2 * self.config.video_fps) == 0
        size = self.frame_bytes * (3.0 if keyframe else self.rng.uniform(0.8, 1.2) * self._delta_share())
        size = max(50, int(size))
        chunk = self.config.max_payload
        n = -(-size // chunk)
        packets = []
        for i in range(n):
            part = min(chunk, size - i * chunk)
            packets.append(rtp.pack(s.pt, s.seq, ts, s.ssrc, self._payload(part), marker=i == n - 1))
            s.seq += 1
        return packets

    def _delta_share(self) -> float:
        """Scale delta frames so that one 3x key frame per GOP keeps the average at ``frame_bytes``."""
        gop = max(1, 2 * self.config.video_fps)
        return (gop - 3.0) / (gop - 1) if gop > 3 else 1.0
