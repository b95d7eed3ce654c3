"""How the simulated device reacts to field conditions: the device profile's ``[field]`` and ``[leak]`` tables.

A lab sets conditions through adb (``dumpsys deviceidle force-idle``, ``am set-standby-bucket``, ``svc wifi
disable``, ``input keyevent KEYCODE_SLEEP``...); what the device then does to an incoming WMPF push depends on
facts the WMPF docs do not give, so each is a profile key with its assumption written next to it. Every key is
optional; the defaults are the values below.

``push_priority`` is the central one. Android holds *normal*-priority push messages in Doze until the next
maintenance window and delivers *high*-priority ones (Android power docs, farm notes). WMPF's push channel is
WeChat's own long-lived connection, not FCM, and which treatment it gets is **not documented**: the default
profile assumes ``"normal"`` (an app socket without a Doze exemption gets no network in deep idle); a profile
for a device maker that whitelists WMPF, or a WMPF build on a high-priority channel, says ``"high"``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from simulator.config_schema import Schema, check, validate
from simulator.profile import DeviceProfile

_SECONDS = check(lambda v: v >= 0, "a non-negative number of seconds")
BUCKETS = ("active", "working_set", "frequent", "rare", "restricted")  # least to most restricted


class StandbyDelays(Schema):
    """Seconds a push to an app in each standby bucket waits before its network access is granted [INFERRED]."""

    active: Annotated[float, _SECONDS] = 0.0
    working_set: Annotated[float, _SECONDS] = 0.0
    frequent: Annotated[float, _SECONDS] = 2.0
    rare: Annotated[float, _SECONDS] = 6.0
    restricted: Annotated[float, _SECONDS] = 120.0

    def of(self, bucket: str) -> float:
        return float(getattr(self, bucket))


class FieldProfile(Schema):
    """``[field]``: Doze, app standby, screen, network and boot behaviour. Seconds are device time (scaled)."""

    # how Doze treats WMPF's push channel (see the module docstring): "normal" held, "high" delivered
    push_priority: Literal["normal", "high"] = "normal"
    # deep idle: the first maintenance window opens this long after idle starts, then one every as long.
    # Android's first deep window comes after about an hour; shortened so a call can ring inside one.
    deep_maintenance_s: Annotated[float, check(lambda v: v > 0, "a positive number of seconds")] = 15.0
    # on battery with the screen off this long, the device enters deep idle by itself (Android: about 30 min
    # of inactivity, motion and location checks); 0 = never
    auto_idle_after_s: Annotated[float, _SECONDS] = 1800.0
    # light idle (``dumpsys deviceidle step light``): windows come sooner
    light_maintenance_s: Annotated[float, check(lambda v: v > 0, "a positive number of seconds")] = 5.0
    # app standby applies only on battery (Android lifts it while charging), per bucket
    standby_delay_s: StandbyDelays = StandbyDelays()
    # a network drop: pushes sent while it is down are "lost", or delivered "late" once it is back
    network_drop: Literal["lost", "late"] = "late"
    # after Wi-Fi is back, WMPF's push channel takes this long to reconnect before held pushes arrive
    reconnect_s: Annotated[float, _SECONDS] = 3.0
    # WMPF restarting (killed, crashed; its host app's lifecycle listener brings it back): the backend keeps a
    # push for the device this long and delivers it once WMPF's listener is back [INFERRED]; 0 = lost at once.
    # A WMPF nobody restarts loses the push after this hold, as before it.
    wmpf_restart_hold_s: Annotated[float, _SECONDS] = 30.0
    # the incoming-call activity shows over the lock screen (showWhenLocked); false: the ring is hidden
    show_when_locked: bool = True
    # a screen turned off locks the device (the keyguard) until ``wm dismiss-keyguard`` or an unlock
    lock_on_screen_off: bool = True


class LeakProfile(Schema):
    """``[leak]``: what each call leaves behind in the host app's and WMPF's processes (default: nothing).

    It exists to prove the soak's leak gate fires: a profile with ``host_app_kb_per_call = 512`` grows the
    host app's PSS by 50 MB per hundred calls, visible in ``dumpsys meminfo`` and ``/proc/PID/status``.
    """

    host_app_kb_per_call: Annotated[int, check(lambda v: v >= 0, "a non-negative number of KiB")] = 0
    host_app_threads_per_call: Annotated[float, check(lambda v: v >= 0, "a non-negative number")] = 0.0
    host_app_fds_per_call: Annotated[float, check(lambda v: v >= 0, "a non-negative number")] = 0.0
    wmpf_kb_per_call: Annotated[int, check(lambda v: v >= 0, "a non-negative number of KiB")] = 0
    wmpf_threads_per_call: Annotated[float, check(lambda v: v >= 0, "a non-negative number")] = 0.0
    wmpf_fds_per_call: Annotated[float, check(lambda v: v >= 0, "a non-negative number")] = 0.0


def parse_field(profile: DeviceProfile) -> FieldProfile:
    return validate(profile.extra.get("field", {}), FieldProfile, profile.source, key="field")


def parse_leak(profile: DeviceProfile) -> LeakProfile:
    return validate(profile.extra.get("leak", {}), LeakProfile, profile.source, key="leak")
