"""Faults a lab sees on real WMPF devices, set in the profile's ``[faults]`` or switched at runtime.

Two kinds. *Conditions* persist until changed (``lifecycle_listener_off``, ``push_delay_ms``, counters such
as ``push_drop = 2`` = drop the next two pushes); the models consult them at the moment they matter.
*Actions* happen once when requested (``kill_wmpf``, ``reboot``, ``drop_adb``, ...). Both go through
:func:`apply_fault`, which the phone backend's ``POST /control/faults`` and tests call, so every fault is
reachable the same way in-process and over HTTP.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from simulator.errors import SimulatorError
from simulator.profile import DeviceProfile, _Reader

if TYPE_CHECKING:
    from simulator.wmpf.model import WmpfDevice


class FaultError(SimulatorError, ValueError):
    """A fault request names an unknown fault or carries a bad value."""


@dataclass
class Faults:
    """Conditions (see module docstring). Counters count down as they fire."""

    wmpf_crash_on_push: int = 0  # WMPF crashes when the next N pushes arrive
    lifecycle_listener_off: bool = False  # the host app ignores onWMPFFinish: nobody restarts WMPF
    listener_late_ms: float = 0.0  # the host app registers its push listener this late after start
    push_drop: int = 0  # the backend loses the next N pushes
    push_drop_rate: float = 0.0  # ... or each push with this probability (seeded)
    push_duplicate: int = 0  # the next N pushes arrive twice
    push_delay_ms: float = 0.0  # extra delivery delay (unscaled ms) on top of push_delivery_ms
    slow_cold_start: float = 1.0  # cold start takes this many times longer
    network_down: bool = False  # the device's WeChat connection is down: offline for the backend
    screen_off: bool = False  # the screen is off after boot
    # media (simulator.media): applied by the relay to a connected call's RTP, live
    media_loss_pct: float = 0.0  # percent of RTP packets lost in each direction
    media_jitter_ms: float = 0.0  # RFC 3550 interarrival jitter the network adds
    media_outage_s: float = 0.0  # setting it starts an outage of this many seconds now (both directions)
    no_media: bool = False  # calls connect but the media path never opens: no RTP at all

    def describe(self) -> dict[str, Any]:
        return asdict(self)


CONDITIONS = {f.name: f.type for f in fields(Faults)}
ACTIONS = {
    "kill_wmpf": "kill -9 the com.tencent.wmpf process (host app restarts it if its lifecycle listener is on)",
    "crash_wmpf": "WMPF crashes now (exit status 134, a native abort)",
    "force_stop_wmpf": "am force-stop com.tencent.wmpf",
    "crash_uia2": "kill the uiautomator2 on-device server (app_process)",
    "drop_adb": "cut every adb connection (the host sees the device offline until it reconnects)",
    "block_adb": "refuse adb connections until unblock_adb",
    "unblock_adb": "accept adb connections again",
    "reboot": "reboot the device (adb drops, WMPF and the host app start again after boot)",
    "screen_off": "turn the screen off",
    "screen_on": "turn the screen on",
    "expire_push_token": "the current pushToken expires now (callWMPF then fails with errCode 14)",
}


def parse_faults(profile: DeviceProfile) -> Faults:
    table = profile.extra.get("faults", {})
    r = _Reader(profile.source, table if isinstance(table, dict) else {}, "faults.")
    d = Faults()
    nonneg = {"check": lambda v: v >= 0, "hint": "a non-negative number"}
    out = Faults(
        wmpf_crash_on_push=r.get("wmpf_crash_on_push", int, d.wmpf_crash_on_push, **nonneg),
        lifecycle_listener_off=r.get("lifecycle_listener_off", bool, False, hint="true or false"),
        listener_late_ms=float(r.get("listener_late_ms", (int, float), 0.0, **nonneg)),
        push_drop=r.get("push_drop", int, 0, **nonneg),
        push_drop_rate=float(r.get("push_drop_rate", (int, float), 0.0, check=lambda v: 0 <= v <= 1,
                                   hint="a probability between 0 and 1")),
        push_duplicate=r.get("push_duplicate", int, 0, **nonneg),
        push_delay_ms=float(r.get("push_delay_ms", (int, float), 0.0, **nonneg)),
        slow_cold_start=float(r.get("slow_cold_start", (int, float), 1.0, check=lambda v: v >= 1,
                                    hint="a factor >= 1")),
        network_down=r.get("network_down", bool, False, hint="true or false"),
        screen_off=r.get("screen_off", bool, False, hint="true or false"),
        media_loss_pct=float(r.get("media_loss_pct", (int, float), 0.0, check=lambda v: 0 <= v <= 100,
                                   hint="a percentage between 0 and 100")),
        media_jitter_ms=float(r.get("media_jitter_ms", (int, float), 0.0, **nonneg)),
        media_outage_s=float(r.get("media_outage_s", (int, float), 0.0, **nonneg)),
        no_media=r.get("no_media", bool, False, hint="true or false"),
    )
    r.reject_unknown()
    return out


def _coerce(name: str, value: Any) -> Any:
    kind = CONDITIONS[name]
    if kind in ("bool", bool):
        if not isinstance(value, bool):
            raise FaultError(f"fault {name!r} takes true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise FaultError(f"fault {name!r} takes a non-negative number, got {value!r}")
    if kind in ("int", int):
        if int(value) != value:
            raise FaultError(f"fault {name!r} takes a whole number, got {value!r}")
        return int(value)
    if name == "push_drop_rate" and value > 1:
        raise FaultError(f"fault 'push_drop_rate' is a probability between 0 and 1, got {value!r}")
    if name == "media_loss_pct" and value > 100:
        raise FaultError(f"fault 'media_loss_pct' is a percentage between 0 and 100, got {value!r}")
    if name == "slow_cold_start" and value < 1:
        raise FaultError(f"fault 'slow_cold_start' is a factor >= 1, got {value!r}")
    return float(value)


def apply_fault(model: WmpfDevice, fault: str, value: Any = True) -> dict[str, Any]:
    """Set a condition (``value`` = its new value) or run an action; return the device's fault state."""
    if fault in CONDITIONS:
        setattr(model.faults, fault, _coerce(fault, value))
        model.on_fault_changed(fault)
    elif fault in ACTIONS:
        model.run_fault_action(fault)
    else:
        known = ", ".join([*CONDITIONS, *ACTIONS])
        raise FaultError(f"unknown fault {fault!r}; known faults: {known}")
    model.recorder.event("fault", None, fault=fault, value=value if fault in CONDITIONS else None)
    return {"sn": model.device.serialno, "faults": model.faults.describe()}
