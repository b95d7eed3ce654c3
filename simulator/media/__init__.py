"""Media in the simulator: real UDP between each device in a call and one simulated relay per simulator.

Entry hooks::

    relay = MediaRelay(); await relay.start()          # the farm, once, on the simulator's loop
    attach_media(device, relay)                        # the farm, per device, before boot
    media_of(device).call_connected(room, kind, faults) / .call_ended()    # the WMPF call page

A connected call does a STUN binding exchange with the relay, then RTP both ways at the ``[media]`` rates;
the relay applies the device's media faults (``media_loss_pct``, ``media_jitter_ms``, ``media_outage_s``,
``no_media``, ``network_down``) and the profile's outage schedule. The device's ``tcpdump`` reads
:attr:`DeviceMedia.tap`. :mod:`simulator.media.synth` writes the same traffic straight to a pcap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.media.config import MediaConfig, Outage, parse_media, parse_media_table
from simulator.media.device import DeviceMedia
from simulator.media.relay import MediaRelay

if TYPE_CHECKING:
    from simulator.device import SimDevice

__all__ = ["DeviceMedia", "MediaConfig", "MediaRelay", "Outage", "attach_media", "media_of", "parse_media",
           "parse_media_table"]

_ATTR = "_media"


def attach_media(device: SimDevice, relay: MediaRelay | None) -> DeviceMedia:
    """Give ``device`` its media (once); later calls update the relay."""
    media: DeviceMedia | None = getattr(device, _ATTR, None)
    if media is None:
        media = DeviceMedia(device, relay)
        setattr(device, _ATTR, media)
    elif relay is not None:
        media.relay = relay
    return media


def media_of(device: SimDevice) -> DeviceMedia:
    """The device's media; a device that was never attached gets one without a relay (no call media)."""
    media = getattr(device, _ATTR, None)
    return media if media is not None else attach_media(device, None)
