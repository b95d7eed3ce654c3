"""The lifecycle every per-device service shares: created → running → stopped (or failed).

One lifecycle, owned by the device session, means a test can never leak a logcat stream or a shell, and a
service that dies (the device rebooted, the link dropped) says so instead of silently going quiet.
"""

from __future__ import annotations

import enum
import logging
import threading
from typing import TYPE_CHECKING, ClassVar, Protocol

from harness.errors import ServiceError

if TYPE_CHECKING:
    import adbutils


class DeviceLink(Protocol):
    """All a service may use of the device it runs on: the adbutils handle, the serial and properties.

    Services type against this, not against the session that owns them, so the session imports its
    services and never the other way round (mobly's ``BaseService`` knows nothing of ``AndroidDevice``)."""

    serial: str

    @property
    def device(self) -> adbutils.AdbDevice: ...

    def prop(self, name: str) -> str: ...


class ServiceState(str, enum.Enum):
    CREATED = "created"
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"


class DeviceService:
    """Base class: subclasses implement :meth:`_start` and :meth:`_stop`; both run at most once per cycle."""

    name: ClassVar[str] = "service"

    def __init__(self, session: DeviceLink) -> None:
        self.session = session
        self.state = ServiceState.CREATED
        self.failure: str | None = None
        self._lifecycle_lock = threading.RLock()
        self.log = logging.getLogger(f"harness.device.services.{self.name}")

    @property
    def serial(self) -> str:
        return self.session.serial

    @property
    def running(self) -> bool:
        return self.state is ServiceState.RUNNING

    def start(self) -> DeviceService:
        with self._lifecycle_lock:
            if self.state is ServiceState.RUNNING:
                return self
            self.failure = None
            try:
                self._start()
            except Exception as exc:
                self.state = ServiceState.FAILED
                self.failure = f"{type(exc).__name__}: {exc}"
                try:
                    self._stop()
                except Exception:  # best effort cleanup of a half-started service
                    self.log.debug("cleanup after failed start of %s on %s", self.name, self.serial, exc_info=True)
                if isinstance(exc, ServiceError):
                    raise
                raise ServiceError(f"{self.name} service on {self.serial} failed to start: {exc}") from exc
            self.state = ServiceState.RUNNING
            return self

    def stop(self) -> None:
        with self._lifecycle_lock:
            if self.state in (ServiceState.CREATED, ServiceState.STOPPED):
                self.state = ServiceState.STOPPED
                return
            try:
                self._stop()
            finally:
                self.state = ServiceState.STOPPED

    def restart(self) -> DeviceService:
        self.stop()
        return self.start()

    def mark_failed(self, reason: str) -> None:
        """Called from a service's own threads when it dies underneath (stream closed, device gone)."""
        self.state = ServiceState.FAILED
        self.failure = reason
        self.log.warning("%s service on %s failed: %s", self.name, self.serial, reason)

    def check(self) -> None:
        """Raise :class:`ServiceError` if the service is not running (a dead service must not look idle)."""
        if self.state is not ServiceState.RUNNING:
            detail = f": {self.failure}" if self.failure else ""
            raise ServiceError(f"{self.name} service on {self.serial} is {self.state.value}{detail}")

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.serial} {self.state.value}>"
