"""Field conditions acting on WMPF: a push reaching the device passes the network, Doze and app standby first.

The WeChat backend hands every push to :meth:`FieldModel.arrive` instead of straight to WMPF. The push then
goes through three gates, each of which may hold it once (or, for the network, drop it):

1. **network** — Wi-Fi off or airplane mode: per ``[field] network_drop`` the push is lost, or held until the
   network is back and WMPF's channel has reconnected (``reconnect_s``).
2. **Doze** — deep or light idle (``dumpsys deviceidle``): a normal-priority channel's push waits for the next
   maintenance window; ``push_priority = "high"`` or WMPF on the Doze whitelist passes at once. Leaving idle
   (``unforce``) releases it.
3. **standby** — on battery, the most restricted bucket of WMPF and the host app delays it (``standby_delay_s``).

Every hold, release and loss is a ground-truth record (``push_held``, ``push_released``, ``push_dropped``), as
is every change of the conditions themselves (``doze_state``, ``standby_bucket``, ``keyguard``, ``network``).
The ``[leak]`` table's per-call growth is applied here too, when the host app receives a push.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.android.connectivity import Connectivity
from simulator.android.field import parse_field, parse_leak
from simulator.android.leak import Leak
from simulator.android.power import Hold, PowerPolicy
from simulator.wmpf.config import WMPF_PACKAGE
from simulator.wmpf.scheduler import Scheduler

if TYPE_CHECKING:
    import asyncio

    from simulator.device import SimDevice
    from simulator.wmpf.recorder import Recorder

GATES = ("network", "wmpf", "doze", "standby")


@dataclass
class HeldPush:
    room_id: str | None
    deliver: Callable[[], None]
    gate: str
    reason: str
    since_ns: int
    passed: set[str] = field(default_factory=set)
    timer: asyncio.TimerHandle | None = None


class FieldModel:
    def __init__(self, device: SimDevice, recorder: Recorder, host_package: str,
                 wmpf_state: Callable[[], str] = lambda: "ready") -> None:
        self.device = device
        self.recorder = recorder
        self.host_package = host_package
        self.wmpf_state = wmpf_state  # "ready", "restarting" (it will be back) or "down" (nobody restarts it)
        self.profile = parse_field(device.profile)
        leak = parse_leak(device.profile)
        self.host_leak = Leak(leak.host_app_kb_per_call, leak.host_app_threads_per_call, leak.host_app_fds_per_call)
        self.wmpf_leak = Leak(leak.wmpf_kb_per_call, leak.wmpf_threads_per_call, leak.wmpf_fds_per_call)
        self.scale = device.time_scale
        system = device.android
        system.lock_on_screen_off = self.profile.lock_on_screen_off
        self.power = PowerPolicy(system, self.profile, self.now_s)
        self.network = Connectivity(system, self.now_s)
        self.scheduler = Scheduler(f"field {device.serialno}")
        self.held: list[HeldPush] = []
        system.idle.listeners.append(self._idle_changed)
        system.standby.listeners.append(self._standby_changed)
        system.keyguard.listeners.append(self._keyguard_changed)
        self.network.listeners.append(self._network_changed)
        recorder.listeners.append(self._on_event)
        self._auto_idle_timer: asyncio.TimerHandle | None = None

    # -- Doze by itself: on battery, screen off, long enough ------------------------------------------------
    def _watch_auto_idle(self) -> None:
        """Check now and then (every 60 device seconds) whether the device would have dozed off by itself."""
        if self.profile.auto_idle_after_s <= 0:
            return
        self.scheduler.cancel(self._auto_idle_timer)
        self._auto_idle_timer = self.scheduler.later(self._wall(60.0), self._check_auto_idle)

    def _check_auto_idle(self) -> None:
        system = self.device.android
        idle = system.idle
        if self.device_up() and idle.enabled and not idle.forced and idle.deep == "ACTIVE" \
                and not system.screen.on and not system.battery.plugged:
            asleep_s = (self.device.clock.uptime_ns() - system.last_sleep_ns) / 1e9 / self.scale
            if asleep_s >= self.profile.auto_idle_after_s:
                idle.deep, idle.light = "IDLE", "IDLE"
                idle.changed()
        elif idle.deep == "IDLE" and not idle.forced and (system.screen.on or system.battery.plugged):
            idle.deep, idle.light = "ACTIVE", "ACTIVE"  # the user is back (or the charger): Doze ends
            idle.changed()
        self._watch_auto_idle()

    def now_s(self) -> float:
        """Device time in unscaled seconds: what the profile's seconds are measured in."""
        return time.monotonic() / self.scale if self.scale > 0 else time.monotonic()

    def _wall(self, device_s: float) -> float:
        return max(0.0, device_s) * self.scale

    @property
    def packages(self) -> tuple[str, ...]:
        return (WMPF_PACKAGE, self.host_package)  # the receiving process first

    # -- a push arriving --------------------------------------------------------------------------------------
    def arrive(self, room_id: str | None, deliver: Callable[[], None]) -> None:
        """The backend's push reached the device's network interface; ``deliver`` hands it to WMPF."""
        self._advance(HeldPush(room_id, deliver, "", "", time.monotonic_ns()))

    def _advance(self, push: HeldPush) -> None:
        for gate in GATES:
            if gate in push.passed:
                continue
            hold = self._hold(gate, push)
            if hold is _LOST:
                return
            push.passed.add(gate)
            if hold is not None:
                self._hold_push(push, gate, hold)
                return
        if push.gate:
            self.recorder.event("push_released", push.room_id, gate=push.gate, reason=push.reason,
                                held_ms=round((time.monotonic_ns() - push.since_ns) / 1e6 / self.scale, 1))
        push.deliver()

    def _hold(self, gate: str, push: HeldPush) -> Hold | object | None:
        if gate == "network":
            net = self.network
            if not net.up:
                if self.profile.network_drop == "lost":
                    self.recorder.event("push_dropped", push.room_id,
                                        reason=f"network down ({net.cause}) when the push was sent")
                    return _LOST
                return Hold(f"network_{net.cause}", float("inf"))
            if net.changed_at_s is None:
                return None
            reconnecting = self.profile.reconnect_s - (self.now_s() - net.changed_at_s)
            return Hold("network_reconnect", reconnecting) if reconnecting > 0 else None
        if gate == "wmpf":
            hold_s = self.profile.wmpf_restart_hold_s
            if self.wmpf_state() == "restarting" and hold_s > 0:
                return Hold("wmpf_restarting", hold_s)
            return None  # ready, or down for good: WMPF's own delivery decides (and drops it)
        if gate == "doze":
            return self.power.doze_hold(WMPF_PACKAGE)
        return self.power.standby_hold(self.packages)

    def _hold_push(self, push: HeldPush, gate: str, hold: Hold) -> None:
        push.gate, push.reason = gate, hold.reason
        if gate == "network" and hold.device_s == float("inf"):
            push.passed.discard("network")  # checked again when the network is back
            push.timer = None
        else:
            push.timer = self.scheduler.later(self._wall(hold.device_s), lambda: self._release(push))
        self.held.append(push)
        self.recorder.event("push_held", push.room_id, gate=gate, reason=hold.reason,
                            for_ms=None if hold.device_s == float("inf") else round(hold.device_s * 1000, 1))

    def _release(self, push: HeldPush) -> None:
        if push in self.held:
            self.held.remove(push)
            self.scheduler.cancel(push.timer)
            if not self.device_up():
                self.recorder.event("push_dropped", push.room_id, reason="device went down while the push was held")
                return
            self._advance(push)

    def _release_if_wmpf_ready(self, push: HeldPush) -> None:
        if self.wmpf_state() == "ready":
            self._release(push)

    def device_up(self) -> bool:
        from simulator.device import DeviceState

        return self.device.state is DeviceState.ONLINE

    # -- conditions changing -----------------------------------------------------------------------------------
    def _idle_changed(self) -> None:
        idle = self.device.android.idle
        self.recorder.event("doze_state", None, deep=idle.deep, light=idle.light, forced=idle.forced)
        if self.power.idle_kind_now() is None:  # out of idle (or in a window): Doze holds nothing any more
            for push in [p for p in self.held if p.gate == "doze"]:
                self._release(push)

    def _standby_changed(self, package: str) -> None:
        standby = self.device.android.standby
        self.recorder.event("standby_bucket", None, package=package, bucket=standby.bucket(package),
                            inactive=package in standby.inactive)

    def _keyguard_changed(self) -> None:
        self.recorder.event("keyguard", None, locked=self.device.android.keyguard.locked)

    def _network_changed(self, up: bool) -> None:
        self.recorder.event("network", None, up=up, cause=None if up else self.network.cause)
        if up:
            for push in [p for p in self.held if p.gate == "network" and p.timer is None]:
                self._release(push)

    def _on_event(self, event: str, room_id: str | None, data: dict[str, Any]) -> None:
        if event in ("wmpf_activated", "listener_registered"):  # WMPF is back: pushes kept meanwhile arrive
            for push in [p for p in self.held if p.gate == "wmpf"]:
                self.scheduler.later(0, lambda push=push: self._release_if_wmpf_ready(push))
        android = self.device.android
        if event == "push_received" and data.get("valid"):
            self.host_leak.one_call(self.device.processes, android.process_of(self.host_package))
        elif event == "push_delivered":
            self.wmpf_leak.one_call(self.device.processes, android.process_of(WMPF_PACKAGE))

    def reset(self) -> None:
        """The device (re)booted: held pushes are gone with the kernel's sockets; the auto-Doze watch starts."""
        self.scheduler.cancel_all()
        self._auto_idle_timer = None
        for push in self.held:
            self.recorder.event("push_dropped", push.room_id, reason="device rebooted while the push was held")
        self.held.clear()
        self._watch_auto_idle()

    def describe(self) -> dict[str, Any]:
        android = self.device.android
        return {"push_priority": self.profile.push_priority, "network_up": self.network.up,
                "idle": self.power.idle_kind_now(), "keyguard": android.keyguard.locked,
                "held": [{"room": p.room_id, "gate": p.gate, "reason": p.reason} for p in self.held]}


_LOST = object()
