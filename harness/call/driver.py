"""The call driver: place → ring → answer → connected → hold → hang up → end mode, timed on the device clock.

Each step waits for what the device *logs* (the timeline, from a mark taken before the action, so nothing can
slip past), bounded by the app profile. A step that does not happen raises :class:`CallFailed` with the
stage it stopped at; lab trouble (adb link, uiautomator2 server, the device gone) is a ``lab_error``, after
the lab retries (counted in the record) are spent. Used as a context manager, a :class:`Call` always ends in
one :class:`~harness.results.records.CallRecord` written through the run's results writer (flushed and fsynced) as
the call finishes, whatever happened; the scenario then asserts on ``call.record``::

    with driver.call() as call:
        call.place()
        call.wait_ring()
        call.answer()
        call.wait_connected()
        call.hold()
        call.hang_up("device")
    assert call.record.outcome is Outcome.PASSED

Before a stage is declared failed on a timeout, the lab is checked: a silent logcat on a dead link is a lab
error, not a device that did not ring. The behaviour under test is never retried.

One record per started call, always: the call writes a *mark* when it starts and at each step (so a crashed
worker's call is still found, see :mod:`harness.results.writer`), and its record is written before any clean-up
that can fail; clean-up trouble is added to the written record as an amendment. An interrupt (SIGINT, or SIGTERM
turned into one by the plugin) is recorded as a ``lab_error`` "interrupted" with the step reached, then re-raised.
A device that stays unreachable after a lab error is *quarantined* on its rig (``rig.lost``): later calls on it
raise :class:`~harness.errors.DeviceLostError` without starting.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import adbutils

from harness.call.evidence import CallSubject
from harness.call.timeline import VOIP_PREFIX, CallEvent, voip
from harness.callers.base import Caller, CallRequest, Capability, Placement
from harness.callers.broadcast import BroadcastCaller
from harness.callers.phone import PhoneApiError
from harness.capture import CallCapture
from harness.config.app_profile import END_PATTERN
from harness.device.retry import LabRetry, reconnect
from harness.device.services.base import ServiceState
from harness.device.services.clock_sync import ClockSyncService
from harness.device.services.logcat import LogcatPin, LogcatService
from harness.device.ui import UiElementMissing
from harness.errors import CapabilityMissing, DeviceLostError, HarnessError, InjectionError, LabError, WaitTimeout
from harness.hostclock import host_ns
from harness.results import figures
from harness.results.records import EXPECT_FAILURE_KEY, CallRecord, EventStamp, Outcome, Stage

if TYPE_CHECKING:
    from harness.call.recovery import Recovery
    from harness.call.rig import Rig

log = logging.getLogger("harness.call.driver")

# onVoipEvent names that end a call, or show it cannot go on.
ENDING = ("endVoip", "abortVoip", "hangUpVoip", "rejectVoip", "cancelVoip", "timeout", "joinFailListener")
LAB_EXCEPTIONS: tuple[type[BaseException], ...] = (LabError, adbutils.AdbError, ConnectionError, OSError)


class CallFailed(HarnessError):
    """The product did not do what the step waited for; ``stage`` says where the call stopped."""

    def __init__(self, stage: Stage, message: str) -> None:
        self.stage = stage
        super().__init__(f"{stage.value}: {message}")


def _voips(*names: str) -> list[str]:
    return [voip(n) for n in names]


class Call:
    """One call on one rig. Use as a context manager; steps raise, the exit records."""

    def __init__(self, rig: Rig, scenario: str, *, test_id: str | None = None,
                 expect_failure: Stage | None = None) -> None:
        self.rig = rig
        self.timeline = rig.timeline
        self.profile = rig.profile
        self.record = CallRecord(scenario=scenario, serial=rig.serial, call_index=rig.next_index(),
                                 test_id=test_id, worker=rig.worker, lab=rig.lab_kind, time_scale=rig.time_scale)
        self.retry = LabRetry(budget_s=rig.lab_retry.budget_s, max_attempts=rig.lab_retry.max_attempts,
                              initial_wait_s=rig.lab_retry.initial_wait_s, max_wait_s=rig.lab_retry.max_wait_s,
                              on_retry=self.record.count_retry)
        self.mark = 0
        self._pin: LogcatPin | None = None
        self.placement: Placement | None = None
        self.caller: Caller | None = None  # who placed this call (the rig's caller, or a broadcast)
        self.room: str | None = None
        self.auto_answer = False  # the app answers by itself (profile answer "auto"): nothing is tapped
        self.answer_selector = "answer"  # the profile selector tapped to answer
        self.seen: dict[str, CallEvent] = {}
        self.written = False
        self.capture: CallCapture | None = None
        self.trouble: list[str] = []  # what went wrong after the call (capture, evidence, clean-up)
        if expect_failure is not None:  # this one call proves a failure is caught: counted as expected there
            self.record.extra[EXPECT_FAILURE_KEY] = Stage(expect_failure).value

    # -- context ----------------------------------------------------------------------------------------
    def __enter__(self) -> Call:
        if self.rig.lost is not None:
            raise DeviceLostError(f"not run: device lost ({self.rig.serial}: {self.rig.lost})")
        self.rig.ui.retry = self.retry  # uiautomator2 restarts during this call count on this record
        self._write_mark()
        try:
            self._prepare_lab()
            self.record.model = self.rig.model
            self._begin_capture()
            self._pin = self.timeline.logcat.pin()  # the call's lines stay until its evidence is taken
            self.mark = self._pin.seq
        except BaseException as exc:  # the call started: it ends in a record like any other
            self.__exit__(type(exc), exc, None)
            raise
        return self

    def _write_mark(self) -> None:
        """Note on the results file how far this call got (see the module docstring)."""
        if self.rig.results is None:
            return
        try:
            self.rig.results.mark(self.record)
        except OSError as exc:
            raise LabError(f"cannot write to the results file {self.rig.results.path}: {exc}") from exc

    def _begin_capture(self) -> None:
        """Start this call's pcap (when the lab captures); a required capture that cannot start is a lab error,
        recorded before it propagates."""
        try:
            media = self.profile.media
            self.capture = CallCapture.begin(self.rig.session, self.rig.capture, self.rig.capture_dir, self.record,
                                             media_format=media.format, min_packets=media.min_packets,
                                             rooted=lambda: self.rig.rooted)
        except LabError as exc:
            raise LabError(f"capture: {exc}") from exc

    def subject(self) -> CallSubject:
        """The narrow view of this call that its evidence collector gets."""
        return CallSubject(self.record, self.rig.session, self.mark, self.profile.wmpf_package,
                           self.profile.host_package)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        if self.written:
            return False
        suppress = False
        interrupted = exc is not None and not isinstance(exc, Exception)
        if isinstance(exc, CallFailed):
            self.record.fail(exc.stage, str(exc))
            suppress = True
        elif isinstance(exc, LAB_EXCEPTIONS):
            self.record.lab_error(f"{type(exc).__name__}: {exc} (reached {self.record.reached})")
            suppress = True
        elif interrupted:  # KeyboardInterrupt (SIGINT; SIGTERM through the plugin), SystemExit: record, re-raise
            self.record.lab_error(f"interrupted ({type(exc).__name__}) after the call reached {self.record.reached}")
        elif isinstance(exc, CapabilityMissing):  # the caller cannot do a step (the plugin skips the scenario)
            self.record.lab_error(f"not run: {exc} (reached {self.record.reached})")
        elif exc is not None:
            self.record.lab_error(f"harness error {type(exc).__name__}: {exc} (reached {self.record.reached})")
        if not interrupted:
            self._guarded("capture", self._finish_capture)
            if self.rig.evidence is not None:  # screenshots and logcat for the report, before the record is written
                evidence = self.rig.evidence
                self._guarded("evidence", lambda: evidence.on_end(self.subject()))
        if self.trouble:
            self.record.extra["trouble"] = list(self.trouble)
        not_written: LabError | None = None
        try:
            self.finish()  # written before any clean-up that can fail
        except LabError as exc:  # the disk refused it: the device still needs its clean-up; then say so
            not_written = exc
        if self.record.outcome is not Outcome.PASSED and not interrupted:
            try:
                self._clean_up()
            except Exception as trouble:  # added to the written record, never replacing it
                self._amend({"cleanup_error": f"{type(trouble).__name__}: {trouble}"})
        if self._pin is not None:  # the call's lines are on the record and in its evidence: let them go
            self._pin.release()
        if not_written is not None:
            raise not_written
        return suppress

    def _guarded(self, what: str, step: Any) -> None:
        """Run an after-call step; its trouble goes on the record instead of losing the record."""
        try:
            step()
        except Exception as exc:
            log.warning("call %s: %s failed: %s", self.record.call_id, what, exc)
            self.trouble.append(f"{what}: {type(exc).__name__}: {exc}")

    def _amend(self, extra: dict[str, Any]) -> None:
        self.record.extra.update(extra)
        if self.rig.results is None:
            return
        try:
            self.rig.results.amend(self.record, extra)
        except OSError as exc:
            log.warning("cannot amend the record of call %s: %s", self.record.call_id, exc)

    def _finish_capture(self) -> None:
        """Stop the pcap and analyse it into the record: a connected call without media fails at ``no_media``
        (judged only on a call that connected and had not already failed at an earlier stage)."""
        if self.capture is not None:
            self.capture.finish(self.record, judge="connected" in self.record.events and self.record.stage is None)

    def _prepare_lab(self) -> None:
        """Start from a healthy lab: device online, services running (reconnected and counted if not)."""
        session = self.rig.session
        try:
            services = [session.peek(cls) for cls in (LogcatService, ClockSyncService)]
            healthy = session.state() == "device" and all(
                svc is None or svc.state is ServiceState.RUNNING for svc in services)
        except LabError:
            healthy = False
        if not healthy:
            reconnect(session, self.retry)

    def _lab_healthy(self) -> bool:
        try:
            session = self.rig.session
            return session.state() == "device" and session.logcat.running
        except Exception:
            return False

    def _timeout(self, stage: Stage, message: str) -> CallFailed:
        """A wait ran out: a product failure at ``stage``, unless the lab broke underneath the wait."""
        if not self._lab_healthy():
            raise LabError(f"the device link failed while waiting ({message})")
        return CallFailed(stage, message)

    # -- stamps -----------------------------------------------------------------------------------------
    def stamp(self, name: str, event: CallEvent) -> CallEvent:
        self.seen[name] = event
        host, bound = self.timeline.to_host(event)
        self._add(EventStamp(name, event.device_ns / 1e6, host / 1e6, bound / 1e6))
        return event

    def _add(self, stamp: EventStamp) -> None:
        """Put an event on the record; a new step reached is marked on the results file."""
        before = self.record.reached
        self.record.add_event(stamp)
        if self.record.reached != before:
            self._write_mark()

    def stamp_recovery(self, recovery: Recovery) -> Recovery:
        """Put a WMPF kill and its recovery on this call's record (``wmpf_recovery`` = kill → back)."""
        kill = recovery.kill
        host, bound = self.rig.session.clock.estimate().device_to_host(kill.device_ns)
        self._add(EventStamp(figures.WMPF_KILLED, kill.device_ns / 1e6, host / 1e6, bound / 1e6))
        self.stamp(figures.WMPF_BACK, recovery.back)
        self.record.extra.update(wmpf_kill=kill.command, wmpf_old_pid=kill.old_pid, wmpf_new_pid=recovery.new_pid)
        return recovery

    def stamp_host(self, name: str, host_instant_ns: float, bracket_ns: float) -> None:
        est = self.rig.session.clock.estimate()
        device, bound = est.host_to_device(host_instant_ns)
        self._add(EventStamp(name, device / 1e6, host_instant_ns / 1e6, (bound + bracket_ns) / 1e6, source="host"))

    # -- placing ----------------------------------------------------------------------------------------
    def caller_for(self, via: str | None) -> Caller:
        """The rig's caller, or (``via="broadcast"``) the broadcast caller for this call only."""
        if via == "broadcast":
            return BroadcastCaller(self.rig.session, self.profile.broadcast, self.profile.miniprogram_appid or "",
                                   self.profile.source)
        if via not in (None, "caller"):
            raise InjectionError(f"unknown call route {via!r}: use 'caller' (the run's caller) or 'broadcast'")
        if self.rig.caller is None:
            raise InjectionError("no caller is configured for this device: pass --caller-serial PHONE "
                                 "--caller-profile C (a phone running WeChat), --phone-url URL (a phone bot), "
                                 "or --caller broadcast (a debug build)")
        return self.rig.caller

    def place(self, *, room_type: str | None = None, caller_name: str | None = None,
              auto_answer: bool | None = None, custom_query: dict[str, str] | None = None,
              via: str | None = None) -> Placement:
        """Place the call through the run's caller (a phone running WeChat, a phone bot, a broadcast).

        ``via="broadcast"`` broadcasts the push for this call whatever the run's caller is. ``caller_name``
        None leaves the name to the caller (the phone's WeChat nickname, or the profile's ``caller_name``)."""
        profile = self.profile
        self.caller = caller = self.caller_for(via)
        self.auto_answer = profile.answer == "auto" if auto_answer is None else auto_answer
        request = CallRequest(sn=self.rig.sn, room_type=room_type or profile.room_type, caller_name=caller_name,
                              auto_answer=False,  # the host app adds isClickedHangOnBtn=1, never the caller
                              custom_query=dict(custom_query or {}),
                              env_version=profile.env_version, default_caller_name=profile.caller_name)
        try:
            placement = caller.place(request)
        except PhoneApiError as exc:
            raise CallFailed(Stage.PUSH_NOT_RECEIVED, f"the caller's backend refused the call: {exc}") from exc
        self.placement = placement
        self.room = placement.room_id
        self.record.room_id = placement.room_id
        self.record.extra["caller"] = caller.name
        self.stamp_host(figures.PLACED, placement.host_ns, placement.bound_ns)
        for name, (host, bound) in placement.phone_events.items():
            device, _ = self.rig.session.clock.estimate().host_to_device(host)
            self.record.add_event(EventStamp(name, device / 1e6, host / 1e6, bound / 1e6, source="phone"))
        return placement

    # -- ringing and answering ---------------------------------------------------------------------------
    def wait_ring(self) -> CallEvent:
        """The call shown on the device (its own incoming screen, or the call page)."""
        kinds = ["ring_shown"]
        if self.auto_answer:
            kinds += _voips("callPageOnShow", "hangOnVoip")
        kinds += _voips("cancelVoip", "endVoip", "joinFailListener")
        kinds += [k for k in ("busy", "push_dropped") if self.profile.has_pattern(k)]
        bound = self.rig.bound("push_to_ring")
        try:
            event = self.timeline.wait_first(kinds, bound, since=self.mark, room=self.room,
                                             where=self._this_call)
        except WaitTimeout:
            raise self._no_ring(bound) from None
        self._stamp_push_received()
        if event.kind in ("ring_shown", voip("callPageOnShow"), voip("hangOnVoip")):
            if self.rig.evidence is not None:  # the ring screenshot, on a thread: the tap is not delayed
                self.rig.evidence.on_ring(self.subject())
            return self.stamp(figures.RING, event)
        if event.kind == "push_dropped":
            raise CallFailed(Stage.PUSH_NOT_RECEIVED, f"WMPF dropped the push: "
                                                      f"{event.data.get('reason') or event.line.message}")
        raise CallFailed(Stage.NO_RING, f"the device did not ring: {event.kind} {event.data or ''}".strip())

    def expect_busy(self) -> CallEvent:
        """A call placed while the device is in another: it must be refused busy, never ring."""
        if not self.profile.has_pattern("busy"):
            raise InjectionError(f"{self.profile.source} has no 'busy' pattern: cannot see a busy refusal")
        bound = self.rig.bound("push_to_ring")
        try:
            event = self.timeline.wait_first(["busy", "ring_shown"], bound, since=self.mark, room=self.room,
                                             where=self._this_call)
        except WaitTimeout:
            raise self._no_ring(bound) from None
        self._stamp_push_received()
        if event.kind != "busy":
            raise CallFailed(Stage.NO_RING, "a second call rang during a call instead of being refused busy")
        self.stamp("busy", event)
        self.record.extra["end"] = "busy"
        return event

    def wait_unanswered(self) -> CallEvent:
        """Nobody answers: the call must end by itself (the plugin's ``timeout``, or the app's own incoming
        screen giving up), within the profile's ``ring_timeout``."""
        kinds = _voips("timeout", "endVoip", "cancelVoip")
        if self.profile.has_pattern("ring_dismissed"):
            kinds.append("ring_dismissed")
        bound = self.rig.bound("ring_timeout")
        try:
            event = self.timeline.wait_first(kinds, bound, since=self.mark, room=self.room)
        except WaitTimeout:
            raise self._timeout(Stage.END_NOT_HANDLED, f"an unanswered call was still up after {bound:g} s") from None
        self.stamp(event.kind.removeprefix("voip:"), event)
        if event.kind.startswith("voip:"):
            self.verify_end()
        self.record.extra["end"] = self._end_reason()
        return event

    def expect_device_drops_call(self, kinds: list[str]) -> str:
        """After the caller left: the call page shows it (``kinds`` + ``endVoip``); or, when the app's own
        incoming screen does not learn of it, answering it must fail cleanly (``joinFailListener``)."""
        try:
            event = self.timeline.wait_first([*kinds, *_voips("endVoip", "joinFailListener")],
                                             self.rig.bound("no_event"), since=self.mark, room=self.room)
        except WaitTimeout:
            try:
                self.rig.ui.tap("answer", self.profile.selector("answer"), self.rig.bound("ui"))
            except UiElementMissing as exc:
                raise self._timeout(Stage.END_NOT_HANDLED, f"the call page never showed the caller leaving "
                                                           f"and no incoming screen is left: {exc}") from None
            self.record.extra["answered_dead_call"] = True
            event = self.wait_end_event(_voips("joinFailListener"), "end")
            return event.kind
        self.stamp(event.kind.removeprefix("voip:"), event)
        self.verify_end()
        return event.kind

    def _this_call(self, event: CallEvent) -> bool:
        """Events that name a room must name ours; the busy line names the refused room."""
        return not (event.kind == "busy" and self.room is not None and event.room_id != self.room)

    def _stamp_push_received(self) -> CallEvent | None:
        found = self.timeline.events(self.mark, kinds=["push_received"], room=self.room)
        if found and figures.PUSH_RECEIVED not in self.seen:
            return self.stamp(figures.PUSH_RECEIVED, found[0])
        return None

    def _no_ring(self, bound: float) -> CallFailed:
        if self._stamp_push_received() is None:
            dropped = self.timeline.events(self.mark, kinds=["push_dropped"]) if self.profile.has_pattern(
                "push_dropped") else []
            why = f" (WMPF: {dropped[-1].data.get('reason', dropped[-1].line.message)})" if dropped else ""
            return self._timeout(Stage.PUSH_NOT_RECEIVED, f"no push for room {self.room} reached the app within "
                                                          f"{bound:g} s{why}")
        return self._timeout(Stage.NO_RING, f"the push arrived but nothing rang within {bound:g} s")

    def answer(self) -> CallEvent:
        """Answer: tap the profile's Answer (the tap timed), or let the push's isClickedHangOnBtn=1 do it."""
        ring = self.seen.get(figures.RING)
        since = ring.seq if ring is not None else self.mark
        if not self.auto_answer:
            try:
                tap = self.rig.ui.tap(self.answer_selector, self.profile.selector(self.answer_selector),
                                      self.rig.bound("ui"))
            except UiElementMissing as exc:
                raise self._timeout(Stage.ANSWER_FAILED, str(exc)) from None
            self.stamp_host(figures.TAP_HOST, tap.host_ns, tap.bound_ns)
            self.record.extra["answer_tap_attempts"] = tap.attempts
        bound = self.rig.bound("ring_to_answer")
        try:
            event = self.timeline.wait_first(_voips("hangOnVoip", *ENDING), bound, since=since, room=self.room)
        except WaitTimeout:
            raise self._timeout(Stage.ANSWER_FAILED, f"no hangOnVoip within {bound:g} s of the "
                                                     f"{'ring' if self.auto_answer else 'Answer tap'}") from None
        if not self.auto_answer and self.profile.has_pattern("answer_tapped"):
            tapped = self.timeline.events(since, event.seq + 1, kinds=["answer_tapped"])
            if tapped:
                self.stamp(figures.TAP_DEVICE, tapped[0])
        if event.kind != voip("hangOnVoip"):
            raise CallFailed(Stage.ANSWER_FAILED, f"{event.kind} instead of hangOnVoip: {event.data}")
        return self.stamp(figures.ANSWERED, event)

    def wait_connected(self) -> CallEvent:
        bound = self.rig.bound("answer_to_connect")
        try:
            event = self.timeline.wait_first(_voips("startVoip", *ENDING), bound, since=self.mark, room=self.room)
        except WaitTimeout:
            raise self._timeout(Stage.NOT_CONNECTED, f"no startVoip within {bound:g} s of the answer") from None
        if event.kind != voip("startVoip"):
            self.stamp(event.kind.removeprefix("voip:"), event)
            error = event.data.get("error") if isinstance(event.data.get("error"), dict) else {}
            raise CallFailed(Stage.NOT_CONNECTED, f"{event.kind} instead of startVoip: "
                                                  f"{error.get('errMsg') or event.data}")
        return self.stamp(figures.CONNECTED, event)

    # -- the connected call ------------------------------------------------------------------------------
    def hold(self, seconds: float | None = None) -> None:
        """Stay connected ``seconds`` (default: the profile's hold); any end or WMPF death meanwhile is a drop."""
        seconds = self.rig.hold_s() if seconds is None else seconds
        connected = self.seen.get(figures.CONNECTED)
        since = connected.seq + 1 if connected is not None else self.mark
        kinds = _voips("abortVoip", "hangUpVoip", "endVoip")
        if self.profile.has_pattern("wmpf_finish"):
            kinds.append("wmpf_finish")
        try:
            event = self.timeline.wait_first(kinds, seconds, since=since, room=self.room)
        except WaitTimeout:
            self._check_caller_connected()
            return
        if not self._lab_healthy():
            raise LabError("the device link failed during the call")
        self.stamp("dropped", event)
        raise CallFailed(Stage.DROPPED, f"the connected call ended by itself: {event.kind} {event.data or ''}".strip())

    def _check_caller_connected(self) -> None:
        state = self.caller_state()
        if state is not None and state.get("state") not in (None, "connected"):
            raise CallFailed(Stage.DROPPED, f"the caller's side is {state.get('state')} "
                                            f"({state.get('endReason')}) while the device held the call")

    def caller_state(self) -> dict[str, Any] | None:
        """The caller's view of the call (``{"state", "endReason"}``), or None when the caller cannot tell."""
        caller = self.caller
        if caller is None or self.placement is None or Capability.CALL_STATE not in caller.capabilities:
            return None
        try:
            return caller.state(self.room)
        except (InjectionError, LabError):
            return None

    def hang_up(self, side: str = "device") -> CallEvent:
        """Hang up from the device (tap Hang up) or the caller (phone ``/hangup``); then the end is verified."""
        since = self.timeline.mark()
        if side == "device":
            try:
                tap = self.rig.ui.tap("hang_up", self.profile.selector("hang_up"), self.rig.bound("ui"))
            except UiElementMissing as exc:
                raise self._timeout(Stage.END_NOT_HANDLED, f"cannot hang up: {exc}") from None
            self.stamp_host("hang_up_tap", tap.host_ns, tap.bound_ns)
        elif side == "phone":
            caller = self.caller or self.caller_for(None)
            caller.require(Capability.HANG_UP)
            before = host_ns()
            caller.hang_up(self.room)
            after = host_ns()
            self.stamp_host("caller_hang_up", (before + after) / 2, (after - before) / 2)
        else:
            raise ValueError(f"hang_up side must be 'device' or 'phone', got {side!r}")
        bound = self.rig.bound("end")
        try:
            event = self.timeline.wait_first(_voips("hangUpVoip", "endVoip"), bound, since=since, room=self.room)
        except WaitTimeout:
            raise self._timeout(Stage.END_NOT_HANDLED, f"no hangUpVoip within {bound:g} s of hanging up "
                                                       f"({side})") from None
        self.stamp("hung_up", event)
        self.record.extra["hung_up_by"] = event.data.get("status") or side
        return self.verify_end()

    def decline(self) -> CallEvent:
        """Tap Decline while ringing; the plugin must reject (``rejectVoip``) and the end mode follow."""
        try:
            self.rig.ui.tap("decline", self.profile.selector("decline"), self.rig.bound("ui"))
        except UiElementMissing as exc:
            raise self._timeout(Stage.ANSWER_FAILED, f"cannot decline: {exc}") from None
        event = self.wait_end_event(_voips("rejectVoip"), "end")
        self.record.extra["end"] = "rejected"
        return event

    def caller_cancel(self) -> None:
        """The caller hangs up before the device answered (Cancel on the phone, or the bot's ``/cancel``)."""
        caller = self.caller or self.caller_for(None)
        caller.require(Capability.CANCEL)
        before = host_ns()
        caller.cancel(self.room)
        after = host_ns()
        self.stamp_host("caller_cancel", (before + after) / 2, (after - before) / 2)

    def wait_end_event(self, kinds: list[str], bound_name: str, stage: Stage = Stage.END_NOT_HANDLED) -> CallEvent:
        """The first of ``kinds`` (or any end) for this call, then ``endVoip`` and the end mode."""
        bound = self.rig.bound(bound_name)
        try:
            event = self.timeline.wait_first([*kinds, *_voips(*ENDING)], bound, since=self.mark, room=self.room)
        except WaitTimeout:
            raise self._timeout(stage, f"no {' or '.join(kinds)} within {bound:g} s") from None
        self.stamp(event.kind.removeprefix("voip:"), event)
        if event.kind not in kinds and kinds:
            raise CallFailed(stage, f"{event.kind} {event.data} instead of {' or '.join(kinds)}")
        if event.kind.startswith("voip:"):
            self.verify_end()
        return event

    # -- the end -------------------------------------------------------------------------------------------
    def verify_end(self, mode: str | None = None) -> CallEvent:
        """``endVoip`` for this call, then the app's end mode (end page, background or exit) carried out."""
        mode = mode or self.profile.end_mode
        bound = self.rig.bound("end")
        try:
            ended = self.timeline.wait(voip("endVoip"), bound, since=self.mark, room=self.room)
        except WaitTimeout:
            raise self._timeout(Stage.END_NOT_HANDLED, f"no endVoip within {bound:g} s") from None
        self.stamp(figures.ENDED, ended)
        self.record.extra.setdefault("end", ended.data.get("reason") or self._end_reason())
        wanted = END_PATTERN[mode]
        others = [p for p in END_PATTERN.values() if p != wanted and self.profile.has_pattern(p)]
        try:
            event = self.timeline.wait_first([wanted, *others], bound, since=ended.seq, room=self.room)
        except WaitTimeout:
            raise self._timeout(Stage.END_NOT_HANDLED, f"endVoip came but the app did not carry out its end "
                                                       f"mode {mode!r} within {bound:g} s") from None
        if event.kind != wanted:
            raise CallFailed(Stage.END_NOT_HANDLED, f"end mode {event.kind!r} instead of {mode!r}")
        self.stamp("end_mode", event)
        self.record.extra["end_mode"] = mode
        foreground = self.rig.ui.foreground_package()
        self.record.extra["foreground_after_end"] = foreground
        if mode in ("background", "exit") and foreground == self.profile.wmpf_package:
            raise CallFailed(Stage.END_NOT_HANDLED, f"end mode {mode!r} logged, but WMPF is still in the "
                                                    f"foreground")
        return event

    def _end_reason(self) -> str:
        state = self.caller_state()
        return str(state.get("endReason")) if state else "ended"

    # -- finishing -------------------------------------------------------------------------------------------
    def _clean_up(self) -> None:
        """After a failure or lab error, end the call on the caller's side so the next call starts idle."""
        if self.record.outcome is Outcome.LAB_ERROR:
            self._recover_lab()
            if self.rig.lost is not None:
                return
        caller = self.caller
        if caller is None or self.placement is None:
            return
        state = self.caller_state()
        if state is not None and state.get("state") != "ended":
            try:
                if state.get("state") == "connected":
                    caller.hang_up(self.room)
                else:
                    caller.cancel(self.room)
            except (PhoneApiError, LabError, InjectionError, CapabilityMissing) as exc:
                log.info("clean-up of %s on the caller's side: %s", self.room, exc)
            if self.record.outcome is Outcome.LAB_ERROR and self.record.reached in ("placed", "ringing") \
                    and self.profile.selectors.get("decline"):
                self._dismiss_ring()
            self._settle()
        elif self._page_ran():
            self._settle()

    def _page_ran(self) -> bool:
        """Whether this call's page emitted anything (it then closes by itself, and takes a moment to)."""
        try:
            return any(e.kind.startswith(VOIP_PREFIX) and e.room_id == self.room
                       for e in self.timeline.events(self.mark))
        except LabError:
            return False

    def _settle(self) -> None:
        """The device finishes this call before the next one: ``endVoip``, then the app's end mode. A next call
        placed sooner is refused busy, or its page, warm-started into the old one's process, dies with the old
        page's exit (seen: the caller-never-joins follow-up call on an exit-mode app)."""
        bound = self.rig.bound("end")
        try:
            ended = self.timeline.wait(voip("endVoip"), bound, since=self.mark, room=self.room)
            wanted = END_PATTERN[self.profile.end_mode]
            if self.profile.has_pattern(wanted):
                self.timeline.wait(wanted, bound, since=ended.seq, room=self.room)
            time.sleep(0.05)
        except (WaitTimeout, LabError):
            pass

    def _dismiss_ring(self) -> None:
        """A lab error may have hidden a ring: an incoming screen still up would refuse the next call busy (the
        caller's cancel does not reach a host screen that never handed over to the call page). Decline it."""
        try:
            self.rig.ui.tap("decline", self.profile.selector("decline"), min(1.0, self.rig.bound("ui")))
        except Exception as exc:  # nothing to decline, or the UI is gone too
            log.debug("clean-up decline of %s: %s", self.room, exc)

    def _probe(self) -> None:
        """The device answers a shell command and the lab's phone API (when there is one) answers: adb's device
        list can still show a transport whose other end just died."""
        if self.rig.session.device.shell("echo ok").strip() != "ok":
            raise LabError(f"{self.rig.serial} does not answer a shell command")
        phone = self.rig.faults.phone if self.rig.faults is not None else None
        if phone is not None:
            with contextlib.suppress(PhoneApiError):  # unreachable is a LabError; a refusal is an answer
                phone.devices()

    def _recover_lab(self) -> None:
        """After a lab error: the device back with its services, or quarantined (one warning line, once)."""
        try:
            reconnect(self.rig.session, self.retry)
            self.retry.call(f"probe {self.rig.serial}", self._probe)
        except Exception as exc:
            reason = f"unreachable after a lab error: {exc}"
            self.rig.quarantine(reason)
            self._amend({"quarantined": reason, "quarantined_at": time.time()})

    def finish(self) -> CallRecord:
        """Compute the figures and write the record (once)."""
        if self.written:
            return self.record
        self.written = True
        resolution_ms = 0.001
        for event in self.seen.values():
            resolution_ms = max(resolution_ms, event.resolution_ns / 1e6)
        for name, (ms, bound) in figures.latencies(self.record.events, resolution_ms).items():
            self.record.set_latency(name, ms, bound)
        try:
            self.record.offset_bound_ms = self.rig.session.clock.estimate().bound_ms()
        except Exception:  # a dead link must not cost the record
            self.record.offset_bound_ms = None
        self.record.finish()
        if self.rig.on_record is not None:  # first: the test's report carries it even if the disk does not
            self.rig.on_record(self.record)
        if self.rig.results is not None:
            try:
                self.rig.results.write(self.record)
            except OSError as exc:
                raise LabError(f"the record of call {self.record.call_id} could not be written to "
                               f"{self.rig.results.path}: {exc}") from exc
        log.info("call %s #%d on %s: %s%s", self.record.scenario, self.record.call_index, self.rig.serial,
                 self.record.outcome.value, f" at {self.record.stage.value}" if self.record.stage else "")
        return self.record


class CallDriver:
    """Places calls on one rig for one scenario; :meth:`run` is the whole standard call."""

    def __init__(self, rig: Rig, scenario: str, *, test_id: str | None = None) -> None:
        self.rig = rig
        self.scenario = scenario
        self.test_id = test_id
        self.records: list[CallRecord] = []

    def on(self, rig: Rig) -> CallDriver:
        """A driver for the same scenario on another rig (a variant device)."""
        return CallDriver(rig, self.scenario, test_id=self.test_id)

    def call(self, *, expect_failure: Stage | None = None) -> Call:
        """One call, step by step. ``expect_failure``: the stage this call exists to prove is caught (a
        failure-proof scenario marks that one call; its other calls count like any call)."""
        call = Call(self.rig, self.scenario, test_id=self.test_id, expect_failure=expect_failure)
        self.records.append(call.record)
        return call

    def run(self, *, answer: str | None = None, hang_up: str = "device", hold_s: float | None = None,
            room_type: str | None = None, caller_name: str | None = None,
            extra: dict[str, Any] | None = None) -> CallRecord:
        """Place, ring, answer, connect, hold, hang up, verify.

        ``answer``: ``tap`` (the profile's Answer, whichever alternative shows), ``notification`` (only the host
        app's own incoming notification, ``ui.notification_answer``: the host then launches the call page with
        ``isClickedHangOnBtn=1`` and nothing more is tapped) or ``auto`` (the app answers by itself); default
        per profile. ``extra`` is stored in the record (e.g. ``{"start": "cold"}``) before it is written.
        """
        if answer not in (None, "tap", "auto", "notification"):
            raise ValueError(f"answer must be 'tap', 'notification' or 'auto', got {answer!r}")
        with self.call() as call:
            call.record.extra.update(extra or {})
            if answer == "notification":
                call.answer_selector = "notification_answer"
                call.record.extra["answered_via"] = "notification"
            call.place(room_type=room_type, caller_name=caller_name,
                       auto_answer=None if answer is None else answer == "auto")
            call.wait_ring()
            call.answer()
            call.wait_connected()
            call.hold(hold_s)
            call.hang_up(hang_up)
        return call.record
