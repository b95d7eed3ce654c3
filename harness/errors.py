"""Typed errors of the harness, each with a message a lab engineer can act on.

Two families matter for a run's verdict: :class:`LabError` (the lab broke: adb, the device link, tooling; the
call is recorded as ``lab_error`` and the run goes on) and everything else (a harness or configuration
mistake that must stop the run, or a product failure that the call driver turns into a ``failed`` record).
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base class for errors the harness raises on purpose."""


class LabError(HarnessError):
    """The lab failed (adb server, device link, tooling), not the product under test."""


class AdbServerError(LabError):
    """An adb server could not be started or reached."""


class DeviceGoneError(LabError):
    """A device stayed offline or unreachable after the lab retries were spent."""


class DeviceLostError(DeviceGoneError):
    """A device was quarantined after it stayed unreachable: the rest of its calls are not run."""


class ServiceError(LabError):
    """A per-device service (logcat stream, clock sync, ...) could not start or died."""


class ClockSyncError(ServiceError):
    """The device clock could not be read or its samples contradict each other (a clock step)."""


class WaitTimeout(HarnessError):
    """An awaited device event did not arrive within its bound (the caller decides which stage failed)."""

    def __init__(self, what: str, timeout_s: float, serial: str | None = None) -> None:
        self.what = what
        self.timeout_s = timeout_s
        self.serial = serial
        where = f" on {serial}" if serial else ""
        super().__init__(f"no {what}{where} within {timeout_s:g} s")


class ConfigError(HarnessError):
    """A configuration file (app profile, push message) is invalid; names the file, the key and the problem."""

    def __init__(self, source: str, key: str, problem: str, more: list[tuple[str, str]] | None = None) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        self.problems = [(key, problem), *(more or [])]  # every problem found in one pass, first one first
        super().__init__("\n".join(f"{source}: key {k!r}: {p}" for k, p in self.problems))


class AppProfileError(ConfigError):
    """An app profile (fixtures/apps/*.toml) is invalid."""


class PushMessageError(ConfigError):
    """A push message (the call-flow document's JSON) is invalid."""


class InjectionError(HarnessError):
    """A call could not be placed (phone API refused it, broadcast not delivered)."""


class CallerProfileError(ConfigError):
    """A caller profile (fixtures/callers/*.toml) is invalid."""


class CapabilityMissing(HarnessError):
    """A step needs something the chosen caller or lab cannot do (raised before the device is touched)."""

    def __init__(self, capability: str, who: str, how: str = "", *, doing: str = "") -> None:
        self.capability = capability
        super().__init__(f"needs {capability}: {who} cannot {doing or capability.replace('_', ' ')}"
                         + (f" ({how})" if how else ""))
