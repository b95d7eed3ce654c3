"""Tapping the app's buttons by the app profile's selectors, fast and timed.

Why one RPC per tap: uiautomator2's ``d(**selector).click()`` is three round trips (wait, object info, click
at a point), each 50-60 ms on the simulated device and more on a phone; the server's own ``click(selector)``
finds and clicks in one. The harness only taps after the device *logged* that the screen is up (ring shown,
call connected), so the element is normally there at the first try; a selector that misses is tried again
until the profile's ``ui`` bound, and the alternative that hit is tried first next time.

The host instants bracketing the RPC are returned, so a figure can say when the tap landed (half the bracket)
when the app does not log the tap itself.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.device.retry import LabRetry, restart_u2
from harness.errors import HarnessError
from harness.hostclock import HostBracket, host_ns

if TYPE_CHECKING:
    from harness.device.session import DeviceSession

log = logging.getLogger("harness.device.ui")


class UiElementMissing(HarnessError):
    """No alternative of a profile selector was on screen within the bound (the caller picks the stage)."""

    def __init__(self, name: str, selectors: tuple[dict[str, Any], ...], timeout_s: float, serial: str) -> None:
        self.name = name
        super().__init__(f"no {name!r} element ({' or '.join(map(str, selectors))}) to tap on {serial} "
                         f"within {timeout_s:g} s")


@dataclass(frozen=True)
class Tap(HostBracket):
    """One tap: which alternative was tapped and the host instants around the RPC that tapped it."""

    name: str
    selector: dict[str, Any]
    host_before_ns: int
    host_after_ns: int
    attempts: int


def _is_not_found(exc: BaseException) -> bool:
    return type(exc).__name__ in ("UiObjectNotFoundError", "UiObjectNotFoundException")


class UiActions:
    """Taps on one device; lab trouble with the uiautomator2 server is retried (and counted) by ``retry``."""

    def __init__(self, session: DeviceSession, retry: LabRetry) -> None:
        self.session = session
        self.retry = retry
        self._preferred: dict[str, int] = {}

    def _selector(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self.session.u2(**spec).selector  # the server's Selector (mask + fields), built locally

    def _click_once(self, spec: dict[str, Any]) -> tuple[bool, int, int]:
        u2 = self.session.u2
        selector = self._selector(spec)
        before = host_ns()
        try:
            clicked = bool(u2.jsonrpc.click(selector))
        except Exception as exc:
            if not _is_not_found(exc):
                raise
            clicked = False
        return clicked, before, host_ns()

    def tap(self, name: str, specs: tuple[dict[str, Any], ...], timeout_s: float) -> Tap:
        """Tap the first alternative of ``specs`` on screen; :class:`UiElementMissing` after ``timeout_s``."""
        first = self._preferred.get(name, 0)
        order = [first, *(i for i in range(len(specs)) if i != first)]
        deadline = time.monotonic() + timeout_s
        attempts = 0
        while True:
            for index in order:
                attempts += 1
                try:
                    clicked, before, after = self._click_once(specs[index])
                except Exception as exc:  # the u2 server died or the link dropped: a lab problem, retried
                    log.warning("tap %s on %s: uiautomator2 failed (%s: %s); restarting it", name,
                                self.session.serial, type(exc).__name__, exc)
                    if self.retry.on_retry is not None:
                        self.retry.on_retry(f"tap {name}: uiautomator2 failed ({type(exc).__name__}); restart")
                    restart_u2(self.session, self.retry)
                    clicked, before, after = self._click_once(specs[index])
                if clicked:
                    self._preferred[name] = index
                    return Tap(name, dict(specs[index]), before, after, attempts)
            if time.monotonic() >= deadline:
                raise UiElementMissing(name, specs, timeout_s, self.session.serial)

    def wait_gone(self, specs: tuple[dict[str, Any], ...], timeout_s: float) -> bool:
        """True once no alternative of ``specs`` is on screen (server-side wait), False at the bound."""
        deadline = time.monotonic() + timeout_s
        u2 = self.session.u2
        for spec in specs:
            left = max(0.05, deadline - time.monotonic())  # 0 would mean uiautomator2's 20 s default
            if not u2(**spec).wait_gone(timeout=left):
                return False
        return True

    def foreground_package(self) -> str:
        """The focused app's package, from ``dumpsys`` through adb (no uiautomator2 round trip)."""
        info = self.session.device.app_current()
        return info.package if info else ""
