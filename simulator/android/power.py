"""Doze, app standby and the lock screen as they act on an app's network: when may a push reach an app?

State set through adb lives where the commands put it — Doze in :class:`~simulator.android.power_state.
DeviceIdleState` (``dumpsys deviceidle``), standby buckets and the keyguard here (``am set-standby-bucket``,
``am set-inactive``, ``wm dismiss-keyguard``). :class:`PowerPolicy` turns that state into one answer for a
push arriving now: deliver it, or hold it for so many seconds (until a Doze maintenance window, or until the
standby bucket's delay ran out). The profile's ``[field]`` table (:mod:`simulator.android.field`) gives the
numbers; every change of state is told to listeners so the ground truth records it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.android.field import BUCKETS, FieldProfile

if TYPE_CHECKING:
    from simulator.android.system import AndroidSystem

DEFAULT_BUCKET = "active"


@dataclass
class StandbyState:
    """``am set-standby-bucket`` / ``am set-inactive`` per package (``am get-standby-bucket`` reads it back)."""

    buckets: dict[str, str] = field(default_factory=dict)
    inactive: set[str] = field(default_factory=set)
    listeners: list[Callable[[str], None]] = field(default_factory=list, repr=False)

    def bucket(self, package: str) -> str:
        bucket = self.buckets.get(package, DEFAULT_BUCKET)
        if package in self.inactive and BUCKETS.index(bucket) < BUCKETS.index("rare"):
            return "rare"  # an inactive app is in standby: UsageStatsService puts it in RARE
        return bucket

    def set_bucket(self, package: str, bucket: str) -> None:
        if bucket not in BUCKETS:
            raise ValueError(f"unknown standby bucket {bucket!r}; one of {', '.join(BUCKETS)}")
        self.buckets[package] = bucket
        self._changed(package)

    def set_inactive(self, package: str, inactive: bool) -> None:
        (self.inactive.add if inactive else self.inactive.discard)(package)
        if not inactive and self.buckets.get(package) in ("rare", "restricted"):
            self.buckets[package] = DEFAULT_BUCKET  # set-inactive false is a use of the app
        self._changed(package)

    def _changed(self, package: str) -> None:
        for listener in list(self.listeners):
            listener(package)


@dataclass
class Keyguard:
    """The lock screen: locked when the screen goes off (per profile), gone after ``wm dismiss-keyguard``."""

    locked: bool = False
    listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def set(self, locked: bool) -> None:
        if locked != self.locked:
            self.locked = locked
            for listener in list(self.listeners):
                listener()


@dataclass(frozen=True)
class Hold:
    """A push must wait: why, and for how many device seconds from now (unscaled)."""

    reason: str  # "doze_deep", "doze_light", "standby_<bucket>"
    device_s: float


class PowerPolicy:
    """Answers "may a push reach ``packages`` now?" from Doze, standby and the battery, per ``[field]``."""

    def __init__(self, system: AndroidSystem, profile: FieldProfile, now_s: Callable[[], float]) -> None:
        self.system = system
        self.profile = profile
        self.now_s = now_s  # device time in unscaled seconds (host monotonic / time scale)
        self.idle_since_s: float | None = None  # when deep or light idle began (maintenance windows count from it)
        self.idle_kind: str | None = None
        system.idle.listeners.append(self._idle_changed)

    # -- Doze -------------------------------------------------------------------------------------
    def idle_kind_now(self) -> str | None:
        """"deep" or "light" while the device idles (not in a maintenance window), else None."""
        idle = self.system.idle
        if not idle.enabled:
            return None
        if idle.deep == "IDLE":
            return "deep"
        if idle.light == "IDLE":
            return "light"
        return None

    def _idle_changed(self) -> None:
        kind = self.idle_kind_now()
        if kind != self.idle_kind:
            self.idle_kind = kind
            self.idle_since_s = self.now_s() if kind is not None else None

    def doze_hold(self, package: str) -> Hold | None:
        kind = self.idle_kind_now()
        if kind is None or package in self.system.idle.whitelist or self.profile.push_priority == "high":
            return None
        if self.idle_kind != kind or self.idle_since_s is None:  # changed without telling (not expected)
            self._idle_changed()
        since = self.idle_since_s if self.idle_since_s is not None else self.now_s()
        period = self.profile.deep_maintenance_s if kind == "deep" else self.profile.light_maintenance_s
        elapsed = max(0.0, self.now_s() - since)
        next_window = math.floor(elapsed / period + 1e-9) * period + period
        return Hold(f"doze_{kind}", next_window - elapsed)

    # -- app standby -------------------------------------------------------------------------------
    def standby_hold(self, packages: tuple[str, ...]) -> Hold | None:
        if self.system.battery.plugged:
            return None  # Android lifts app standby while the device charges
        bucket = max((self.system.standby.bucket(p) for p in packages), key=BUCKETS.index)
        delay = self.profile.standby_delay_s.of(bucket)
        return Hold(f"standby_{bucket}", delay) if delay > 0 else None

    def hold_for(self, packages: tuple[str, ...]) -> Hold | None:
        """The first reason a push to ``packages`` (the receiving process first) must wait, or None."""
        return self.doze_hold(packages[0]) or self.standby_hold(packages)
