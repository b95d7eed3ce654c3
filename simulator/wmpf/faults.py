"""Faults a lab sees on real WMPF devices, set in the profile's ``[faults]`` or switched at runtime.

Two kinds. *Conditions* persist until changed (``lifecycle_listener_off``, ``push_delay_ms``, counters such
as ``push_drop = 2`` = drop the next two pushes); the models consult them at the moment they matter.
*Actions* happen once when requested (``kill_wmpf``, ``reboot``, ``drop_adb``, ...). Both go through
:func:`apply_fault`, which the phone backend's ``POST /control/faults`` and tests call, so every fault is
reachable the same way in-process and over HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict

from simulator.config_schema import Schema, check, validate
from simulator.errors import SimulatorError
from simulator.profile import DeviceProfile

if TYPE_CHECKING:
    from simulator.wmpf.model import WmpfDevice


class FaultError(SimulatorError, ValueError):
    """A fault request names an unknown fault or carries a bad value."""


_NON_NEGATIVE = check(lambda v: v >= 0, "a non-negative number")


class Faults(Schema):
    """Conditions (see module docstring), validated from ``[faults]``. Counters count down as they fire.

    Unlike the other tables it is not frozen: the models and :func:`apply_fault` change it at runtime.
    """

    model_config = ConfigDict(frozen=False)

    wmpf_crash_on_push: Annotated[int, _NON_NEGATIVE] = 0  # WMPF crashes when the next N pushes arrive
    lifecycle_listener_off: bool = False  # the host app ignores onWMPFFinish: nobody restarts WMPF
    # the host app registers its push listener this late after start
    listener_late_ms: Annotated[float, _NON_NEGATIVE] = 0.0
    push_drop: Annotated[int, _NON_NEGATIVE] = 0  # the backend loses the next N pushes
    # ... or each push with this probability (seeded)
    push_drop_rate: Annotated[float, check(lambda v: 0 <= v <= 1, "a probability between 0 and 1")] = 0.0
    push_duplicate: Annotated[int, _NON_NEGATIVE] = 0  # the next N pushes arrive twice
    # extra delivery delay (unscaled ms) on top of push_delivery_ms
    push_delay_ms: Annotated[float, _NON_NEGATIVE] = 0.0
    # cold start takes this many times longer
    slow_cold_start: Annotated[float, check(lambda v: v >= 1, "a factor >= 1")] = 1.0
    network_down: bool = False  # the device's WeChat connection is down: offline for the backend
    screen_off: bool = False  # the screen is off after boot
    # media (simulator.media): applied by the relay to a connected call's RTP, live
    # percent of RTP packets lost in each direction
    media_loss_pct: Annotated[float, check(lambda v: 0 <= v <= 100, "a percentage between 0 and 100")] = 0.0
    media_jitter_ms: Annotated[float, _NON_NEGATIVE] = 0.0  # RFC 3550 interarrival jitter the network adds
    # setting it starts an outage of this many seconds now (both directions)
    media_outage_s: Annotated[float, _NON_NEGATIVE] = 0.0
    no_media: bool = False  # calls connect but the media path never opens: no RTP at all

    def describe(self) -> dict[str, Any]:
        return self.model_dump()


CONDITIONS = {name: f.annotation for name, f in Faults.model_fields.items()}
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
    return validate(profile.extra.get("faults", {}), Faults, profile.source, key="faults")


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
