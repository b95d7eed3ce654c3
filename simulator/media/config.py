"""The ``[media]`` table of a device profile: how much media a connected call carries and how it is shaped.

Rates follow the facts document §6 (voice ≈ 2 MB/min ≈ 270 kbit/s for both directions together, video
10-30 MB/min ≈ 1.3-4 Mbit/s); they are IP-level figures (IPv4 + UDP + RTP headers included), because that
is what a capture measures. Network faults (loss, jitter, outage, no media) are *faults*: they live in the
profile's ``[faults]`` table and the runtime fault interface (``media_loss_pct``...), except the static
outage schedule, which is part of the call's shape and lives here::

    [media]
    enabled = true
    voice_kbps = 270            # both directions together
    video_kbps = 2000           # both directions together, audio stream included
    ptime_ms = 20               # one audio packet every ptime
    video_fps = 25
    max_payload = 1200          # video frames are split into RTP payloads of at most this many bytes
    loss_model = "even"         # "even": the configured share in every run of packets | "bernoulli"
    seed = 0
    outages = [{ start_s = 5, duration_s = 3 }]   # relative to the first RTP packet of each call
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.errors import ProfileError
from simulator.profile import DeviceProfile, _Reader

IP_UDP_RTP_OVERHEAD = 20 + 8 + 12
LOSS_MODELS = ("even", "bernoulli")


@dataclass(frozen=True)
class Outage:
    """A window with no media either way, in seconds after the call's media started (unscaled)."""

    start_s: float
    duration_s: float


@dataclass(frozen=True)
class MediaConfig:
    enabled: bool = True
    voice_kbps: float = 270.0
    video_kbps: float = 2000.0
    ptime_ms: int = 20
    video_fps: int = 25
    max_payload: int = 1200
    loss_model: str = "even"
    seed: int = 0
    outages: tuple[Outage, ...] = field(default_factory=tuple)
    format: str = "rtp"  # "rtp" | "opaque": a proprietary media format (not RTP: no version-2 header)

    def audio_payload(self) -> int:
        """RTP payload bytes of one audio packet: half the voice rate, one packet per ptime."""
        per_packet = self.voice_kbps * 1000 / 2 / 8 * self.ptime_ms / 1000
        return max(20, round(per_packet) - IP_UDP_RTP_OVERHEAD)

    def video_frame_bytes(self) -> int:
        """Payload bytes of one video frame: what is left of a direction's share after the audio."""
        per_direction_bps = max(0.0, (self.video_kbps - self.voice_kbps) * 1000 / 2)
        frame = per_direction_bps / 8 / self.video_fps
        packets = max(1, -(-int(frame) // self.max_payload))
        return max(packets * 20, int(frame) - packets * IP_UDP_RTP_OVERHEAD)


def parse_media(profile: DeviceProfile) -> MediaConfig:
    """Validate ``[media]``; a mistake names the file and the key (like every other profile table)."""
    table: Any = profile.extra.get("media", {})
    if not isinstance(table, dict):
        raise ProfileError(profile.source, "media", "expected a table [media]")
    return parse_media_table(table, profile.source)


def parse_media_table(table: dict[str, Any], source: str = "<profile>") -> MediaConfig:
    r = _Reader(source, table, "media.")
    d = MediaConfig()
    number = (int, float)
    positive = {"check": lambda v: v > 0, "hint": "a positive number"}
    voice = float(r.get("voice_kbps", number, d.voice_kbps, check=lambda v: 16 <= v <= 2000,
                        hint="kbit/s between 16 and 2000"))
    video = float(r.get("video_kbps", number, d.video_kbps, check=lambda v: 100 <= v <= 20000,
                        hint="kbit/s between 100 and 20000"))
    if video <= voice:
        raise r.fail("video_kbps", f"must be above voice_kbps ({voice:g}): a video call carries audio too")
    outages: list[Outage] = []
    raw = r.get("outages", list, [], hint="an array of tables {start_s, duration_s}")
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ProfileError(source, f"media.outages[{i}]", "expected a table {start_s = .., duration_s = ..}")
        o = _Reader(source, entry, f"media.outages[{i}].")
        start = float(o.get("start_s", number, check=lambda v: v >= 0, hint="non-negative seconds"))
        duration = float(o.get("duration_s", number, **positive))
        o.reject_unknown()
        outages.append(Outage(start, duration))
    out = MediaConfig(
        enabled=r.get("enabled", bool, True, hint="true or false"),
        voice_kbps=voice,
        video_kbps=video,
        ptime_ms=r.get("ptime_ms", int, d.ptime_ms, check=lambda v: v in (10, 20, 30, 40, 60),
                       hint="10, 20, 30, 40 or 60"),
        video_fps=r.get("video_fps", int, d.video_fps, check=lambda v: 1 <= v <= 60, hint="1-60 frames/s"),
        max_payload=r.get("max_payload", int, d.max_payload, check=lambda v: 200 <= v <= 1400,
                          hint="bytes between 200 and 1400"),
        loss_model=r.get("loss_model", str, d.loss_model, check=lambda v: v in LOSS_MODELS,
                         hint=" or ".join(LOSS_MODELS)),
        seed=r.get("seed", int, 0),
        outages=tuple(outages),
        format=r.get("format", str, d.format, check=lambda v: v in ("rtp", "opaque"), hint="'rtp' or 'opaque'"),
    )
    r.reject_unknown()
    return out
