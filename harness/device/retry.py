"""Retries for LAB operations only: getting a device back online, restarting uiautomator2's server.

The behaviour under test is never retried: a call that did not ring is a finding, and retrying it would
hide exactly the flakiness a lab exists to catch. What *is* retried is the lab's plumbing (adb link,
on-device test server), with tenacity, each retry logged and reported to ``on_retry`` so the call record can
count it. When the budget is spent the error becomes :class:`~harness.errors.DeviceGoneError` or
:class:`~harness.errors.LabError`: the call is a ``lab_error``, not a product failure, and the run goes on.
Keep budgets shorter than any pytest-timeout (the signal method interrupts a tenacity sleep cleanly).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import adbutils
from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay
from tenacity import wait_exponential_jitter as wait_jitter

from harness.errors import DeviceGoneError, LabError

if TYPE_CHECKING:
    from harness.device.session import DeviceSession

T = TypeVar("T")
log = logging.getLogger("harness.device.retry")

# What a flaky lab looks like from the host: adb errors, dropped sockets, a device not (yet) online.
LAB_EXCEPTIONS: tuple[type[BaseException], ...] = (adbutils.AdbError, ConnectionError, socket.timeout, OSError,
                                                   LabError)


@dataclass
class LabRetry:
    """A retry budget for lab operations; ``on_retry(message)`` is told about every retry."""

    budget_s: float = 30.0
    max_attempts: int = 8
    initial_wait_s: float = 0.2
    max_wait_s: float = 3.0
    on_retry: Callable[[str], None] | None = None

    def call(self, what: str, fn: Callable[[], T], *,
             retry_on: tuple[type[BaseException], ...] = LAB_EXCEPTIONS,
             give_up: Callable[[BaseException], BaseException] | None = None) -> T:
        """Run ``fn`` until it succeeds or the budget is spent; then raise ``give_up(last error)``."""

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            sleep = state.next_action.sleep if state.next_action else 0.0
            message = f"{what}: attempt {state.attempt_number} failed ({type(exc).__name__}: {exc}); " \
                      f"retrying in {sleep:.1f} s"
            log.warning(message)
            if self.on_retry is not None:
                self.on_retry(message)

        retrying = Retrying(
            stop=stop_after_delay(self.budget_s) | stop_after_attempt(self.max_attempts),
            wait=wait_jitter(multiplier=self.initial_wait_s, max=self.max_wait_s, jitter=0.1),
            retry=retry_if_exception_type(retry_on),
            before_sleep=before_sleep,
            reraise=False,
            name=what,
        )
        try:
            return retrying(fn)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            if last is None:
                raise LabError(f"{what}: gave up after retries") from exc
            if give_up is not None:
                raise give_up(last) from last
            if isinstance(last, LabError):
                raise last from None
            raise LabError(f"{what}: still failing after {self.budget_s:g} s of retries: "
                           f"{type(last).__name__}: {last}") from last


def ensure_online(session: DeviceSession, retry: LabRetry | None = None) -> adbutils.AdbDevice:
    """The device, online; reconnects a TCP device (``adb connect``) while it is offline or gone."""
    policy = retry or LabRetry()

    def attempt() -> adbutils.AdbDevice:
        state = session.state()
        if state == "device":
            return session.device
        if ":" in session.serial and state in ("offline", "absent"):
            try:
                session.client.connect(session.serial, timeout=5)
            except adbutils.AdbError as exc:
                raise DeviceGoneError(f"adb connect {session.serial}: {exc}") from exc
            if session.state() == "device":
                return session.device
        raise DeviceGoneError(f"device {session.serial} is {state}")

    return policy.call(f"bring {session.serial} online", attempt,
                       give_up=lambda exc: DeviceGoneError(
                           f"device {session.serial} stayed unreachable for {policy.budget_s:g} s: {exc}"))


def reconnect(session: DeviceSession, retry: LabRetry | None = None) -> None:
    """After a link drop: device online again, then the session's services restarted on the new link."""
    policy = retry or LabRetry()
    ensure_online(session, policy)
    policy.call(f"restart services on {session.serial}", session.restart_services)


def restart_u2(session: DeviceSession, retry: LabRetry | None = None):  # type: ignore[no-untyped-def]
    """uiautomator2 answering again: its on-device server restarted if it crashed or the device rebooted."""
    policy = retry or LabRetry()

    def attempt():  # type: ignore[no-untyped-def]
        session.reset_u2()
        u2 = session.u2
        u2.info  # noqa: B018 - one round trip proves the server answers
        return u2

    return policy.call(f"restart uiautomator2 on {session.serial}", attempt,
                       retry_on=(*LAB_EXCEPTIONS, Exception))
