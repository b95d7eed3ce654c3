"""The field conditions, each with the adb commands a lab uses (farm notes, "Field conditions (Android)").

- ``baseline``: nothing.
- ``doze_deep``: screen off, ``dumpsys battery unplug``, ``dumpsys deviceidle force-idle``; undone by
  ``unforce``, ``dumpsys battery reset``, ``KEYCODE_WAKEUP`` and ``wm dismiss-keyguard``.
- ``doze_light``: screen off, unplug, ``dumpsys deviceidle step light`` until ``IDLE``; undone the same way.
- ``standby``: unplug, ``am set-standby-bucket PKG rare`` (WMPF and the host app), ``am set-inactive HOST true``;
  undone by ``active``, ``set-inactive false``, ``battery reset``.
- ``screen_off_locked``: ``input keyevent KEYCODE_SLEEP``; undone by ``KEYCODE_WAKEUP``, ``wm dismiss-keyguard``.
- ``cold_boot``: ``adb reboot``; wait for ``sys.boot_completed=1``, then for WMPF's listener; the record gets
  ``boot_completed_to_ring_ms``.
- ``wifi_drop``: ``svc wifi disable``; ``off_s`` after the push was sent, ``svc wifi enable``.
- ``airplane``: ``cmd connectivity airplane-mode enable``; ``off_s`` later ``disable``.
- ``memory_kill``: ``am send-trim-memory WMPF RUNNING_CRITICAL``, ``am kill WMPF``; the call follows at once.
- ``crash_loop``: WMPF killed ``n`` times in a row, each after it came back; the call follows the last kill.
- ``long_idle``: screen off on battery for ``hours`` (1) of device time; undone by ``battery reset`` and a wake.
  Left out of ``quick``, the default list: it waits its hours (6 min of wall time at time scale 0.1).

Parameters follow the name: ``wifi_drop:off_s=4``, ``crash_loop:n=5``, ``long_idle:hours=0.5``,
``standby:bucket=restricted`` (several joined by ``;``).
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from harness.call.recovery import kill_wmpf, wait_ready, wait_recovered
from harness.conditions.base import Condition, ConditionError
from harness.device.retry import reconnect
from harness.results import figures

if TYPE_CHECKING:
    from harness.call.rig import Rig
    from harness.results.records import CallRecord

SCREEN_OFF = "input keyevent KEYCODE_SLEEP"
SCREEN_ON = "input keyevent KEYCODE_WAKEUP; wm dismiss-keyguard"


class _ScreenOffUnplugged(Condition):
    def _asleep_on_battery(self, rig: Rig) -> None:
        self.shell(rig, f"{SCREEN_OFF}; dumpsys battery unplug")

    def _awake_on_power(self, rig: Rig) -> None:
        self.shell(rig, f"dumpsys battery reset; {SCREEN_ON}", check=False)


class DozeDeep(_ScreenOffUnplugged):
    name = "doze_deep"
    summary = "deep Doze: screen off, on battery, dumpsys deviceidle force-idle"

    def setup(self, rig: Rig) -> None:
        self._asleep_on_battery(rig)
        out = self.shell(rig, "dumpsys deviceidle force-idle")
        if "deep idle" not in out and "idle" not in out.lower():
            raise ConditionError(f"dumpsys deviceidle force-idle on {rig.serial}: {out.strip()!r}")
        self.facts["deviceidle"] = out.strip()
        self.device_sleep(rig, float(self.params.get("settle_s", 1.0)))

    def teardown(self, rig: Rig) -> None:
        self.shell(rig, "dumpsys deviceidle unforce", check=False)
        self._awake_on_power(rig)


class DozeLight(DozeDeep):
    name = "doze_light"
    summary = "light Doze: screen off, on battery, dumpsys deviceidle step light until IDLE"

    def setup(self, rig: Rig) -> None:
        self._asleep_on_battery(rig)
        for _ in range(6):
            state = self.shell(rig, "dumpsys deviceidle step light").strip()
            if state.endswith("IDLE"):
                self.facts["deviceidle"] = state
                break
        else:
            raise ConditionError(f"light idle never reached IDLE on {rig.serial} (last: {state!r})")
        self.device_sleep(rig, float(self.params.get("settle_s", 1.0)))


class Standby(_ScreenOffUnplugged):
    name = "standby"
    summary = "app standby: on battery, WMPF and host app in the 'rare' bucket, host app inactive"

    def setup(self, rig: Rig) -> None:
        bucket = str(self.params.get("bucket", "rare"))
        self.shell(rig, "dumpsys battery unplug")
        for package in (rig.profile.wmpf_package, rig.profile.host_package):
            self.shell(rig, f"am set-standby-bucket {package} {bucket}")
        self.shell(rig, f"am set-inactive {rig.profile.host_package} true")
        self.facts["bucket"] = self.shell(rig, f"am get-standby-bucket {rig.profile.wmpf_package}").strip()

    def teardown(self, rig: Rig) -> None:
        self.shell(rig, f"am set-inactive {rig.profile.host_package} false", check=False)
        for package in (rig.profile.wmpf_package, rig.profile.host_package):
            self.shell(rig, f"am set-standby-bucket {package} active", check=False)
        self.shell(rig, "dumpsys battery reset", check=False)


class ScreenOffLocked(Condition):
    name = "screen_off_locked"
    summary = "screen off and locked: input keyevent KEYCODE_SLEEP (the ring must wake it)"

    def setup(self, rig: Rig) -> None:
        self.shell(rig, SCREEN_OFF)

    def teardown(self, rig: Rig) -> None:
        self.shell(rig, SCREEN_ON, check=False)


class ColdBoot(Condition):
    name = "cold_boot"
    summary = "cold boot: adb reboot, then the first call once WMPF's listener is registered"

    boot_completed_ns = 0

    def setup(self, rig: Rig) -> None:
        session = rig.session
        _adb_reboot(session)
        deadline = time.monotonic() + float(self.params.get("shutdown_timeout_s", 120))
        while session.state() == "device":  # the framework shuts down before the link drops
            if time.monotonic() > deadline:
                raise ConditionError(f"{rig.serial} accepted adb reboot but never went down")
            time.sleep(0.02)
        session.forget_props()
        since_reboot = time.monotonic()
        while True:
            try:
                reconnect(session)
                if session.device.shell("getprop sys.boot_completed", timeout=10).strip() == "1":
                    break
            except Exception as exc:  # the device is still booting: adb refuses or the link drops
                last = exc
            else:
                last = None
            if time.monotonic() - since_reboot > float(self.params.get("boot_timeout_s", 300)):
                raise ConditionError(f"{rig.serial} did not finish booting (sys.boot_completed): {last}")
            time.sleep(0.05)
        self.boot_completed_ns = time.time_ns()
        self.facts["reboot_to_boot_completed_s"] = round(time.monotonic() - since_reboot, 3)
        session.reset_u2()
        rig.timeline.mark()
        wait_ready(rig)
        self.facts["boot_completed_to_ready_s"] = round((time.time_ns() - self.boot_completed_ns) / 1e9, 3)

    def on_ring(self, record: CallRecord) -> None:
        ring = record.events.get(figures.RING)
        if ring is not None and self.boot_completed_ns:
            self.facts["boot_completed_to_ring_ms"] = round(ring.host_ms - self.boot_completed_ns / 1e6, 1)


def _adb_reboot(session: Any) -> None:
    """``adb reboot``: the ``reboot:`` service on the device's transport (adbd reboots; no shell permission
    is needed, unlike ``adb shell reboot``)."""
    with session.device.open_transport() as conn:
        conn.send_command("reboot:")
        conn.check_okay()
        with contextlib.suppress(Exception):  # the link drops as the device goes down
            conn.read_until_close()


class _NetworkDrop(Condition):
    off_command = on_command = ""

    def setup(self, rig: Rig) -> None:
        self.shell(rig, self.off_command)

    def after_place(self, rig: Rig) -> None:
        off_s = float(self.params.get("off_s", 8.0))
        self.device_sleep(rig, off_s)
        self.shell(rig, self.on_command)
        self.facts["off_s"] = off_s

    def teardown(self, rig: Rig) -> None:
        self.shell(rig, self.on_command, check=False)


class WifiDrop(_NetworkDrop):
    name = "wifi_drop"
    summary = "Wi-Fi off while the call is placed, back on off_s later: svc wifi disable/enable"
    off_command, on_command = "svc wifi disable", "svc wifi enable"


class Airplane(_NetworkDrop):
    name = "airplane"
    summary = "airplane mode while the call is placed: cmd connectivity airplane-mode enable/disable"
    off_command = "cmd connectivity airplane-mode enable"
    on_command = "cmd connectivity airplane-mode disable"


class MemoryKill(Condition):
    name = "memory_kill"
    summary = "WMPF killed for memory: am send-trim-memory RUNNING_CRITICAL, am kill, call at once"

    def setup(self, rig: Rig) -> None:
        wmpf = rig.profile.wmpf_package
        self.shell(rig, f"am send-trim-memory {wmpf} RUNNING_CRITICAL", check=False)
        self.shell(rig, f"am kill {wmpf}")


class CrashLoop(Condition):
    name = "crash_loop"
    summary = "WMPF killed n times in a row (each after it came back); the call follows the last kill"

    def setup(self, rig: Rig) -> None:
        count = int(self.params.get("n", 3))
        recoveries = []
        for i in range(count):
            since = rig.timeline.mark()
            kill = kill_wmpf(rig, "kill9")
            if i == count - 1:
                break
            recoveries.append(round(wait_recovered(rig, kill, since).recovery_ms, 1))
        self.facts.update(kills=count, recovery_ms=recoveries)

    def teardown(self, rig: Rig) -> None:
        try:
            wait_ready(rig)
        except Exception as exc:  # the next condition starts from whatever state; say so
            raise ConditionError(f"WMPF did not come back after the crash loop: {exc}") from None


class LongIdle(_ScreenOffUnplugged):
    name = "long_idle"
    summary = "long idle: screen off on battery for `hours` of device time, then the call"

    def setup(self, rig: Rig) -> None:
        hours = float(self.params.get("hours", 1.0))
        self._asleep_on_battery(rig)
        self.device_sleep(rig, hours * 3600)
        self.facts["idle_hours"] = hours
        self.facts["deviceidle"] = self.shell(rig, "dumpsys deviceidle get deep", check=False).strip()

    def teardown(self, rig: Rig) -> None:
        self._awake_on_power(rig)


CONDITIONS: dict[str, type[Condition]] = {cls.name: cls for cls in (
    Condition, DozeDeep, DozeLight, Standby, ScreenOffLocked, ColdBoot, WifiDrop, Airplane, MemoryKill, CrashLoop,
    LongIdle)}


# Conditions that take long on purpose: left out of ``quick`` (the default), included in ``all``.
SLOW = ("long_idle",)


def parse_conditions(text: str) -> list[Condition]:
    """``"doze_deep,wifi_drop:off_s=4,crash_loop:n=5"`` → instances; ``all`` is every condition, ``quick``
    every one but :data:`SLOW` (long idle waits its hours of device time)."""
    out: list[Condition] = []
    for item in [part.strip() for part in text.split(",") if part.strip()]:
        name, _, raw = item.partition(":")
        if name in ("all", "quick"):
            out += [cls() for cls in CONDITIONS.values() if name == "all" or cls.name not in SLOW]
            continue
        cls = CONDITIONS.get(name)
        if cls is None:
            raise ValueError(f"unknown condition {name!r}; known: {', '.join(CONDITIONS)}")
        params: dict[str, Any] = {}
        for pair in [p for p in raw.split(";") if p]:
            key, eq, value = pair.partition("=")
            if not eq:
                raise ValueError(f"condition {name}: parameter {pair!r} is not KEY=VALUE")
            params[key.strip()] = value.strip()
        out.append(cls(**params))
    return out
