"""A device session: everything the harness holds for one device, real or simulated, with one lifetime.

The session is the single owner of a device's adbutils handle, its uiautomator2 connection (started on
first use: it pushes a jar and starts a server, which costs seconds on a phone) and its services (logcat
stream, clock sync, ...). Closing the session stops them all in reverse start order, so no test leaks a
stream or a shell into the next. Nothing here knows whether the device is simulated.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import adbutils

from harness.device.adb_server import port_is_listening
from harness.device.services.base import DeviceService, ServiceState
from harness.device.services.clock_sync import ClockSyncService
from harness.device.services.logcat import LogcatService
from harness.errors import AdbServerError, DeviceGoneError, ServiceError
from simulator import NoStartAdbClient

if TYPE_CHECKING:
    import uiautomator2

S = TypeVar("S", bound=DeviceService)
log = logging.getLogger("harness.device.session")


class VersionCachingAdbClient(NoStartAdbClient):
    """An adbutils client that asks the adb server its version once, not before every command (and, like every
    harness client, never starts a server: :class:`simulator.NoStartAdbClient`).

    adbutils opens a connection for ``host:version`` before each transport it opens (to pick the serial
    syntax), and closing any connection sleeps 10 ms: half of a 20 ms ``shell`` call and most of a
    uiautomator2 tap. The version only changes when another server binary takes the port, so the session
    forgets it whenever it finds the server gone (:meth:`DeviceSession.check_server`) or reconnects.
    """

    _version: int | None = None

    def server_version(self) -> int:
        if self._version is None:
            self._version = int(super().server_version())
        return self._version

    def forget_version(self) -> None:
        self._version = None


class NoDelayAdbDevice(adbutils.AdbDevice):
    """An adbutils device whose device-port connections send at once (``TCP_NODELAY``).

    uiautomator2 speaks HTTP over these sockets, and ``http.client`` writes a POST's headers and body in two
    sends: with Nagle on, the body waits for the adb server's delayed ACK, 40 ms on every JSON-RPC call (a tap,
    a selector query), on hardware and simulator alike. The harness times taps, so it turns Nagle off.
    """

    def create_connection(self, network: adbutils.Network, address: int | str) -> socket.socket:
        sock = super().create_connection(network, address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


class DeviceSession:
    """One device on one adb server. Use as a context manager, or call :meth:`close`."""

    def __init__(self, serial: str, *, adb_port: int | None = None, host: str = "127.0.0.1",
                 client: adbutils.AdbClient | None = None,
                 service_options: dict[type[DeviceService], dict[str, Any]] | None = None) -> None:
        self.serial = serial
        self.client = client or VersionCachingAdbClient(host=host, port=adb_port or 5037)
        self.adb_host = host
        self.adb_port = adb_port if adb_port is not None else self.client.port
        self.service_options = dict(service_options or {})
        self._services: dict[type[DeviceService], DeviceService] = {}
        self._started: list[DeviceService] = []
        self._u2: uiautomator2.Device | None = None
        self._lock = threading.RLock()
        self._props: dict[str, str] = {}
        self.closed = False
        self.on_retry: Callable[[str], None] | None = None  # set by the call driver to count lab retries

    # -- the device ----------------------------------------------------------------------------------
    @property
    def device(self) -> adbutils.AdbDevice:
        return self.client.device(self.serial)

    def state(self) -> str:
        """``device``, ``offline``, ``unauthorized``... or ``absent``; raises if the adb server is gone."""
        self.check_server()
        for info in self.client.list():
            if info.serial == self.serial:
                return info.state
        return "absent"

    def check_server(self) -> None:
        """Never let adbutils auto-start a server on another port: a dead lab server is a lab error."""
        if not port_is_listening(self.adb_port, self.adb_host):
            self._forget_server_version()
            raise AdbServerError(f"the adb server at {self.adb_host}:{self.adb_port} is not running")

    def require_online(self) -> adbutils.AdbDevice:
        state = self.state()
        if state != "device":
            raise DeviceGoneError(f"device {self.serial} is {state} on the adb server at port {self.adb_port}")
        return self.device

    def prop(self, name: str) -> str:
        """A system property, cached for ``ro.*`` (they never change while the device runs)."""
        if name in self._props:
            return self._props[name]
        value = self.device.getprop(name) or ""
        if name.startswith("ro."):
            self._props[name] = value
        return value

    @property
    def model(self) -> str:
        return self.prop("ro.product.model")

    def forget_props(self) -> None:
        self._props.clear()

    # -- uiautomator2 ----------------------------------------------------------------------------------
    @property
    def u2(self) -> uiautomator2.Device:
        """The uiautomator2 device, connected on first use (its on-device server starts then)."""
        with self._lock:
            if self._u2 is None:
                import uiautomator2

                self._u2 = uiautomator2.connect(NoDelayAdbDevice(self.client, self.serial))
            return self._u2

    def reset_u2(self) -> None:
        """Forget the uiautomator2 connection (after a reboot or a server crash); the next use reconnects."""
        with self._lock:
            u2, self._u2 = self._u2, None
        if u2 is not None:
            try:
                u2.stop_uiautomator()
            except Exception:  # the server may already be gone; that is why we reset
                log.debug("stopping uiautomator2 on %s failed", self.serial, exc_info=True)

    # -- services --------------------------------------------------------------------------------------
    def register(self, cls: type[DeviceService], **options: Any) -> None:
        """Configure ``cls`` before its first use (the session's owner does this: fixture, CLI, lab).

        Configuration goes in once, at construction, as in mobly's service manager: registering again with
        other options is refused instead of silently keeping the first ones."""
        with self._lock:
            known = self.service_options.get(cls)
            if known is not None and known != options:
                raise ServiceError(f"{cls.__name__} on {self.serial} is already registered with {known}; "
                                   f"refusing to reconfigure it with {options}")
            self.service_options[cls] = dict(options)

    def service(self, cls: type[S], **options: Any) -> S:
        """The session's running instance of ``cls``, created and started on first use.

        ``options`` register ``cls`` on first use; later calls must pass the same options or none."""
        with self._lock:
            if self.closed:
                raise RuntimeError(f"session for {self.serial} is closed")
            if options:
                self.register(cls, **options)
            svc = self._services.get(cls)
            if svc is None:
                svc = cls(self, **self.service_options.get(cls, {}))
                self._services[cls] = svc
            if svc.state is not ServiceState.RUNNING:
                svc.start()
                if svc in self._started:
                    self._started.remove(svc)
                self._started.append(svc)
            return svc  # type: ignore[return-value]

    def peek(self, cls: type[S]) -> S | None:
        """The instance of ``cls`` if one was created (running or not), without starting it."""
        return self._services.get(cls)  # type: ignore[return-value]

    @property
    def logcat(self) -> LogcatService:
        return self.service(LogcatService)

    @property
    def clock(self) -> ClockSyncService:
        return self.service(ClockSyncService)

    def _forget_server_version(self) -> None:
        if isinstance(self.client, VersionCachingAdbClient):
            self.client.forget_version()

    def restart_services(self) -> None:
        """Restart every started service (after the device link came back)."""
        self._forget_server_version()
        with self._lock:
            for svc in list(self._started):
                svc.restart()

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            started, self._started = self._started, []
        for svc in reversed(started):
            try:
                svc.stop()
            except Exception:
                log.warning("stopping %r failed", svc, exc_info=True)
        if self._u2 is not None:
            self._u2 = None  # leave the on-device server running: the next session reuses it

    def __enter__(self) -> DeviceSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DeviceSession {self.serial} @{self.adb_host}:{self.adb_port}>"
