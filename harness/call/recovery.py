"""WMPF kill and recovery: kill the WMPF process, then prove it came back and can take a call.

Two ways WMPF dies in the field, both reproduced through adb exactly as on a lab phone:

* ``am force-stop com.tencent.wmpf`` (what a user or the system does), and
* ``kill -9`` of its pid. The shell user may not signal another app's uid, so on a userdebug/eng build (the
  simulated device is one) the kill goes through ``su 0 kill -9 PID``; then ``su -c``; then a plain
  ``kill -9`` (an ``adb root`` shell). When none works the error says so and what the device needs.

The kill command runs in one shell line after ``date +%s.%N``, so the kill instant is read on the *device*
clock, like every event that follows. Recovery is verified from the device's own log: a ``wmpf_started``
line with a new pid, then the push listener registered again (and, when the profile has the pattern, WMPF
activated: a push before activation is dropped). ``wmpf_recovery`` = kill → the last of those lines. That the
next call rings is the scenario's part (it places one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.device.wmpf import KillError, device_time, kill9, wmpf_state
from harness.errors import HarnessError, WaitTimeout

if TYPE_CHECKING:
    from harness.call.rig import Rig
    from harness.call.timeline import CallEvent

log = logging.getLogger("harness.call.recovery")
KILL_METHODS = ("force_stop", "kill9")


class RecoveryError(HarnessError):
    """WMPF could not be killed, or did not come back within the profile's ``wmpf_recovery`` bound."""


@dataclass(frozen=True)
class Kill:
    method: str
    command: str  # the shell command that did it (e.g. "su 0 kill -9 1234")
    old_pid: int | None
    device_ns: int  # the device clock just before the kill ran
    fallback: str | None = None  # why another method than the one asked for was used (no root)


@dataclass(frozen=True)
class Recovery:
    kill: Kill
    new_pid: int | None
    started: CallEvent
    back: CallEvent  # the last line needed (listener registered, or activation)

    @property
    def recovery_ms(self) -> float:
        return (self.back.device_ns - self.kill.device_ns) / 1e6


def kill_wmpf(rig: Rig, method: str = "kill9") -> Kill:
    """Kill WMPF (``force_stop`` or ``kill9``) and return when, on the device clock, the kill ran."""
    if method not in KILL_METHODS:
        raise ValueError(f"kill method must be one of {KILL_METHODS}, got {method!r}")
    package = rig.profile.wmpf_package
    device = rig.session.device
    state = wmpf_state(rig.session, package)
    fallback = None
    if method == "kill9" and not rig.rooted:
        fallback = "no root on this device (app profile [device] root): 'am force-stop' instead of kill -9"
        log.info("%s: %s", rig.serial, fallback)
        method = "force_stop"
    if method == "force_stop":
        result = device.shell2(f"date +%s.%N; am force-stop {package}", timeout=20)
        device_ns, _ = device_time(result.output)
        if device_ns is None or result.returncode != 0:
            raise RecoveryError(f"'am force-stop {package}' failed on {rig.serial}: {result.output.strip()!r}")
        return Kill(method, f"am force-stop {package}", state.pid, device_ns, fallback)
    if state.pid is None:
        raise RecoveryError(f"WMPF ({package}) is not running on {rig.serial}: nothing to kill -9")
    try:
        command, device_ns = kill9(rig.session, state.pid)
    except KillError as exc:
        raise RecoveryError(str(exc)) from None
    log.info("killed WMPF pid %s on %s with %r", state.pid, rig.serial, command)
    return Kill(method, command, state.pid, device_ns)


def wait_recovered(rig: Rig, kill: Kill, since: int) -> Recovery:
    """WMPF back after ``kill``: a new pid started, its listener registered (and activated) again."""
    timeline = rig.timeline
    bound = rig.bound("wmpf_recovery")
    old = kill.old_pid

    def new_pid(event: CallEvent) -> bool:
        pid = event.data.get("pid")
        return old is None or pid is None or str(pid) != str(old)

    try:
        started = timeline.wait("wmpf_started", bound, since=since, where=new_pid)
        needed = rig.profile.ready_patterns()
        back = started
        for kind in needed:
            found = timeline.wait(kind, bound, since=started.seq)
            back = found if found.seq > back.seq else back
    except WaitTimeout as exc:
        raise RecoveryError(f"WMPF did not come back on {rig.serial} within {bound:g} s of "
                            f"{kill.command!r}: {exc}") from None
    pid = started.data.get("pid")
    return Recovery(kill, int(pid) if isinstance(pid, str) and pid.isdigit() else None, started, back)


def stop_mini_program(rig: Rig) -> str:
    """End the Mini Program's process so the next answer is a cold start; the command used, which says how.

    As root its own process is killed (``kill -9``; WMPF's service stays up). Without root WMPF is force-stopped
    and waited back (the host app restarts it): also a cold start, slower to set up, recorded as such."""
    from harness.device.wmpf import kill_pids, wmpf_process_pids

    package = rig.profile.wmpf_package
    if rig.rooted:
        killed = kill_pids(rig.session, wmpf_process_pids(rig.session, package, mini_program_only=True))
        if not killed:
            raise RecoveryError(f"no WMPF Mini Program (appbrand) process of {package} to kill on {rig.serial}")
        return f"kill -9 {' '.join(map(str, killed))}"
    kill_and_recover(rig, "force_stop")
    return f"am force-stop {package} (no root: the whole of WMPF, then waited back)"


def kill_and_recover(rig: Rig, method: str = "kill9") -> Recovery:
    """Kill WMPF and wait for it to recover; the call that saw it stamps the result
    (:meth:`harness.call.driver.Call.stamp_recovery`)."""
    since = rig.timeline.mark()
    kill = kill_wmpf(rig, method)
    return wait_recovered(rig, kill, since)


def dump_events(rig: Rig) -> list[CallEvent]:
    """Classified events of the device's whole log buffer (``logcat -d``), for state the stream never saw."""
    logcat = rig.session.logcat
    flags = " ".join(f"-v {w}" for w in logcat.format or ())
    dump = rig.session.device.shell(f"logcat -d {flags}", timeout=30)
    events: list[CallEvent] = []
    for text in dump.splitlines():
        line = logcat.parser.parse(text)
        if line is not None:
            events.extend(rig.timeline.classifier.classify(line))
    return events


@dataclass
class LoggedReadiness:
    """What the device's log buffer says of WMPF's readiness since it last started."""

    start_in_log: bool  # WMPF's last start is still in the buffer (else it rotated out: readiness unknown)
    missing: list[str]  # the profile's ready kinds not logged since that start
    since_start: list[CallEvent]  # the events from that start on (the whole buffer when it rotated out)


def logged_readiness(rig: Rig) -> LoggedReadiness:
    events = dump_events(rig)
    starts = [i for i, e in enumerate(events) if e.kind == "wmpf_started"]
    after = events[starts[-1]:] if starts else events
    missing = [kind for kind in rig.profile.ready_patterns() if not any(e.kind == kind for e in after)]
    return LoggedReadiness(bool(starts), missing, after)


def wait_ready(rig: Rig) -> None:
    """Block until WMPF runs with its push listener registered (and activated): the device can take a call.

    A device that has been up a while (a second run, a device left on over the weekend) has rotated WMPF's start
    and its listener lines out of the log ring: running, but its readiness cannot be read back. Then the host app
    is restarted (it re-registers at start, as on every boot) rather than waiting for lines that will not come.
    """
    needed = rig.profile.ready_patterns()
    since = rig.timeline.mark()
    if wmpf_state(rig.session, rig.profile.wmpf_package).running:
        logged = logged_readiness(rig)
        if not logged.missing:
            return
        if not logged.start_in_log:
            log.info("WMPF runs on %s but its start is no longer in the log: restarting %s to see it ready",
                     rig.serial, rig.profile.host_package)
            restart_host_app(rig)
            return
    bound = rig.bound("wmpf_recovery")
    try:
        for kind in needed:
            rig.timeline.wait(kind, bound, since=since)
    except WaitTimeout as exc:
        raise RecoveryError(f"WMPF on {rig.serial} is not ready for calls (no {exc.what} within {bound:g} s); "
                            f"is WMPF installed and the host app {rig.profile.host_package} running?") from None


def restart_host_app(rig: Rig, *, wait: bool = True) -> int:
    """Force-stop and start the host app (it wakes WMPF and registers its listeners at start).

    Returns the timeline mark taken before the restart; with ``wait`` returns once WMPF is ready again.
    """
    device = rig.session.device
    since = rig.timeline.mark()
    device.shell(f"am force-stop {rig.profile.host_package}", timeout=20)
    result = device.shell2(f"am start -n {rig.profile.host_component}", timeout=20)
    if result.returncode != 0 or "Error" in result.output:
        raise RecoveryError(f"cannot start {rig.profile.host_component} on {rig.serial}: {result.output.strip()}")
    if not wait:
        return since
    needed = rig.profile.ready_patterns()
    bound = rig.bound("wmpf_recovery")
    try:
        for kind in needed:
            rig.timeline.wait(kind, bound, since=since)
    except WaitTimeout as exc:
        raise RecoveryError(f"the host app restarted on {rig.serial} but WMPF is not ready: {exc}") from None
    return since
