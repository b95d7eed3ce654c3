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

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from simulator.config_schema import Invalid, Schema, check, validate
from simulator.profile import DeviceProfile

IP_UDP_RTP_OVERHEAD = 20 + 8 + 12


class Outage(Schema):
    """A window with no media either way, in seconds after the call's media started (unscaled)."""

    start_s: Annotated[float, check(lambda v: v >= 0, "non-negative seconds")]
    duration_s: Annotated[float, check(lambda v: v > 0, "a positive number")]


class MediaConfig(Schema):
    """The validated ``[media]`` table."""

    enabled: bool = True
    voice_kbps: Annotated[float, check(lambda v: 16 <= v <= 2000, "kbit/s between 16 and 2000")] = 270.0
    video_kbps: Annotated[float, check(lambda v: 100 <= v <= 20000, "kbit/s between 100 and 20000")] = 2000.0
    ptime_ms: Annotated[int, check(lambda v: v in (10, 20, 30, 40, 60), "10, 20, 30, 40 or 60")] = 20
    video_fps: Annotated[int, check(lambda v: 1 <= v <= 60, "1-60 frames/s")] = 25
    max_payload: Annotated[int, check(lambda v: 200 <= v <= 1400, "bytes between 200 and 1400")] = 1200
    loss_model: Literal["even", "bernoulli"] = "even"
    seed: int = 0
    # an array in TOML: the one place a list becomes a tuple (each outage is still validated strictly)
    outages: Annotated[tuple[Outage, ...], Field(strict=False)] = ()
    format: Literal["rtp", "opaque"] = "rtp"  # "opaque": a proprietary media format (no RTP version-2 header)

    @model_validator(mode="after")
    def _video_above_voice(self) -> MediaConfig:
        if self.video_kbps <= self.voice_kbps:
            raise Invalid(("video_kbps", f"must be above voice_kbps ({self.voice_kbps:g}): a video call carries "
                                         "audio too"))
        return self

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
    return parse_media_table(profile.extra.get("media", {}), profile.source)


def parse_media_table(table: Any, source: str = "<profile>") -> MediaConfig:
    return validate(table, MediaConfig, source, key="media")
