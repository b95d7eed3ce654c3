"""The latencies of one call, from its event stamps: which instants each figure spans and how far to trust it.

A figure between two device-logged events is a difference of two readings of the device's own clock: its
bound is the log's resolution, whatever the offset between the clocks. A figure that starts at a host
instant (the call placed, the harness's tap) is a difference on the host timeline: its bound adds the host
bracket of that instant and the clock-mapping bound of the device event. A figure that spans the caller's phone
and the device (``call_sent_to_ring``) maps each end through its own device's clock: its bound is the sum of
both mappings' bounds. Pure arithmetic over
:class:`~harness.results.records.EventStamp` s, so it is tested without a device.
"""

from __future__ import annotations

from harness.results.records import EventStamp

# Record event names (CallRecord.events keys) the figures read.
PLACED = "placed"  # host: the call was placed (phone request, or broadcast)
PUSH_RECEIVED = "push_received"
RING = "ring_shown"  # the device showed the call (host incoming screen, or the call page)
TAP_HOST = "answer_tap"  # host: the harness's Answer tap RPC (mid-bracket)
TAP_DEVICE = "answer_tapped"  # device: the app logged the tap
ANSWERED = "answered"  # voip hangOnVoip
CONNECTED = "connected"  # voip startVoip
ENDED = "ended"  # voip endVoip
WMPF_KILLED = "wmpf_killed"  # device: the instant the kill command ran (date read in the same shell)
WMPF_BACK = "wmpf_back"  # device: WMPF up again with its listener registered (and activated)
PHONE_TAP = "phone_tap"  # phone: the caller's phone logged the tap on Voice/Video (preferred over PLACED)
PHONE_CALL_SENT = "phone_call_sent"  # phone: the caller's WeChat logged callWMPF's answer (on the phone's clock)


def _host_span(a: EventStamp, b: EventStamp) -> tuple[float, float]:
    return b.host_ms - a.host_ms, a.bound_ms + b.bound_ms


def _device_span(a: EventStamp, b: EventStamp, resolution_ms: float) -> tuple[float, float]:
    if a.source != "logcat" or b.source != "logcat":  # one end is a host (or phone) instant mapped onto the device
        return b.device_ms - a.device_ms, a.bound_ms + b.bound_ms
    return b.device_ms - a.device_ms, resolution_ms


def latencies(events: dict[str, EventStamp], resolution_ms: float = 0.001) -> dict[str, tuple[float, float]]:
    """``{latency name: (ms, bound_ms)}`` for every figure whose two ends are in ``events``."""
    out: dict[str, tuple[float, float]] = {}
    e = events
    placed = e.get(PHONE_TAP) or e.get(PLACED)  # the phone's own line of the tap when it logs one
    if placed is not None and RING in e:
        out["push_to_ring"] = _host_span(placed, e[RING])
    if placed is not None and PHONE_CALL_SENT in e:  # the phone's share: tap → its callWMPF answered
        out["tap_to_call_sent"] = _host_span(placed, e[PHONE_CALL_SENT])
    if PHONE_CALL_SENT in e and RING in e:  # spans two devices: the phone's bound plus the device's
        out["call_sent_to_ring"] = _host_span(e[PHONE_CALL_SENT], e[RING])
    if RING in e and ANSWERED in e:
        out["ring_to_answer"] = _device_span(e[RING], e[ANSWERED], resolution_ms)
    tap = e.get(TAP_DEVICE) or e.get(TAP_HOST)
    if tap is not None and ANSWERED in e:
        out["tap_to_answer"] = _device_span(tap, e[ANSWERED], resolution_ms)
    if tap is not None and RING in e:
        out["harness_reaction"] = _device_span(e[RING], tap, resolution_ms)
    if ANSWERED in e and CONNECTED in e:
        out["answer_to_connect"] = _device_span(e[ANSWERED], e[CONNECTED], resolution_ms)
    if placed is not None and CONNECTED in e:
        out["push_to_connect"] = _host_span(placed, e[CONNECTED])
    if WMPF_KILLED in e and WMPF_BACK in e:
        out["wmpf_recovery"] = _device_span(e[WMPF_KILLED], e[WMPF_BACK], resolution_ms)
    return out
