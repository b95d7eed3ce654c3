"""The simulator's public entry point: N simulated devices behind real adb transports, on one event loop.

``Simulator`` is a context manager. It runs an asyncio loop in a background thread, boots the devices,
listens for each on a loopback port outside the ephemeral range and ``adb connect``s them to an adb server
(the adb bundled with adbutils unless told otherwise). Tests and the harness then reach the devices only
through adb, as they would reach hardware; ``device()`` and ``call()`` give tests out-of-band access for
setting faults and reading ground truth.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from simulator import adb_host
from simulator.adb.server import serve_device
from simulator.device import SimDevice
from simulator.errors import SimulatorError
from simulator.media import MediaRelay, attach_media, media_of
from simulator.media.relay import DEFAULT_RELAY_PORT
from simulator.phone.backend import PhoneBackend
from simulator.phone.wechat import install_wechat
from simulator.ports import DEFAULT_BASE_PORT, candidate_ports
from simulator.profile import FIXTURES_DIR, DeviceProfile, load_profile
from simulator.wmpf import TruthRecorder, install

log = logging.getLogger(__name__)
T = TypeVar("T")

HOST = "127.0.0.1"


@dataclass(frozen=True)
class DeviceInfo:
    """How to reach one simulated device or phone: its adb serial, port, model, the phone API and its role."""

    serial: str  # the adb serial, "127.0.0.1:PORT"
    port: int
    model: str
    sn: str  # ro.serialno, the device SN the WeChat backend knows
    phone: str | None = None
    role: str = "device"  # "device" (a WMPF device under test) or "phone" (a caller's phone running WeChat)

    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "serial": self.serial, "port": self.port, "model": self.model, "sn": self.sn,
                "phone": self.phone}


PHONE_PROFILE = FIXTURES_DIR / "wechat-phone.toml"  # the checkout's fixtures, or the wheel's


class Simulator:
    """Start ``devices`` simulated devices (and ``phones`` phones running WeChat, the callers); use as
    ``with Simulator(2, phones=1) as sim: sim.devices, sim.phones``."""

    def __init__(
        self,
        devices: int = 1,
        *,
        profile: str | Path | DeviceProfile | None = None,
        base_port: int = DEFAULT_BASE_PORT,
        adb_path: str | None = None,
        adb_server_port: int | None = None,
        connect: bool = True,
        wait_state: tuple[str, ...] = ("device",),
        adb_keys: str | Path | None = None,
        time_scale: float = 1.0,
        truth_dir: str | Path | None = None,
        start_timeout: float = 60.0,
        media_base_port: int = DEFAULT_RELAY_PORT,
        phones: int = 0,
        phone_profile: str | Path | DeviceProfile | None = None,
    ) -> None:
        if devices < 1:
            raise SimulatorError(f"--devices must be at least 1, got {devices}")
        if time_scale <= 0:
            raise SimulatorError(f"time scale must be positive, got {time_scale}")
        if phones < 0:
            raise SimulatorError(f"--phones must be 0 or more, got {phones}")
        self.profile = profile if isinstance(profile, DeviceProfile) else load_profile(profile)
        self.phone_profile = (phone_profile if isinstance(phone_profile, DeviceProfile)
                              else load_profile(phone_profile or PHONE_PROFILE)) if phones else None
        self.count = devices
        self.phone_count = phones
        self.base_port = base_port
        self.adb_path = adb_path or adb_host.bundled_adb_path()
        self.adb_server_port = adb_server_port or adb_host.default_server_port()
        self.connect_devices = connect
        self.wait_state = wait_state
        self.adb_keys = Path(adb_keys) if adb_keys else None
        if self.adb_keys is not None and not self.adb_keys.is_file():
            raise SimulatorError(f"adb_keys file not found: {self.adb_keys}")
        self.time_scale = time_scale
        self.truth_dir = Path(truth_dir) if truth_dir else None
        self.start_timeout = start_timeout
        self.devices: list[DeviceInfo] = []
        self.phones: list[DeviceInfo] = []  # the simulated callers' phones (role "phone")
        self.phone_url: str | None = None
        self._sim_devices: list[SimDevice] = []
        self._sim_phones: list[SimDevice] = []
        self._servers: list[asyncio.Server] = []
        self._phone: PhoneBackend | None = None
        self._truth: TruthRecorder | None = None
        self.media_relay = MediaRelay(HOST, media_base_port)  # one per simulator (simulator.media)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started_server = False  # the adb server was started by us (then stop() stops it)

    # -- context manager --------------------------------------------------------------------------
    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Simulator:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="wmpf-sim-loop", daemon=True)
        self._thread.start()
        try:
            self.run(self._start_devices(), timeout=self.start_timeout)
            if self.connect_devices:
                self._started_server = adb_host.ensure_server(self.adb_path, self.adb_server_port)
                for info in self.all_devices:
                    adb_host.connect(self.adb_server_port, info.serial)
                adb_host.wait_states(self.adb_server_port, [d.serial for d in self.all_devices], self.wait_state,
                                     timeout=self.start_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Disconnect our devices from the adb server, close their ports and stop the loop."""
        if self._loop is None:
            return
        if self.connect_devices:
            for info in self.all_devices:
                adb_host.disconnect(self.adb_server_port, info.serial)
            if self._started_server:  # no server was there before us: leave none behind
                adb_host.kill_server(self.adb_path, self.adb_server_port)
                self._started_server = False
        try:
            self.run(self._stop_devices(), timeout=10)
        except Exception:  # the loop may be wedged; the thread is a daemon and dies with us
            log.exception("simulator did not stop cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()
        self._loop = None

    @property
    def all_devices(self) -> list[DeviceInfo]:
        """Devices, then phones."""
        return [*self.devices, *self.phones]

    # -- out-of-band access for tests -----------------------------------------------------------
    def truth_path(self, which: int | str = 0) -> Path:
        """Where a device's (or, by serial or SN, a phone's) ground truth goes (``--truth DIR/<sn>.jsonl``)."""
        if self.truth_dir is None:
            raise SimulatorError("the simulator was started without a truth directory")
        try:
            serialno = self.device(which).serialno
        except KeyError:
            if isinstance(which, int):
                raise
            serialno = self.phone(which).serialno
        return self.truth_dir / f"{serialno}.jsonl"

    def phone(self, which: int | str = 0) -> SimDevice:
        """The in-process phone by index, adb serial or SN."""
        if isinstance(which, int):
            return self._sim_phones[which]
        for info, dev in zip(self.phones, self._sim_phones, strict=True):
            if which in (info.serial, info.sn):
                return dev
        raise KeyError(f"no simulated phone {which!r}; have {[d.serial for d in self.phones]}")

    def device(self, which: int | str = 0) -> SimDevice:
        """The in-process device by index, adb serial or SN (for faults and ground truth in tests)."""
        if isinstance(which, int):
            return self._sim_devices[which]
        for info, dev in zip(self.devices, self._sim_devices, strict=True):
            if which in (info.serial, info.sn):
                return dev
        raise KeyError(f"no simulated device {which!r}; have {[d.serial for d in self.devices]}")

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the simulator's loop and return its result (device state is loop-owned)."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper(), timeout=timeout)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if self._loop is None:
            raise SimulatorError("the simulator is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # -- loop side --------------------------------------------------------------------------------
    async def _start_devices(self) -> None:
        if self.truth_dir is not None:
            self._truth = TruthRecorder(self.truth_dir)
        ports = iter(candidate_ports(self.base_port))
        await self.media_relay.start()
        listening: list[tuple[SimDevice, int]] = []
        for index in range(self.count):
            device = SimDevice(self.profile, index, time_scale=self.time_scale)
            install(device, self._truth)  # WMPF, host app and call page, before the device boots
            attach_media(device, self.media_relay)  # media: the call page's RTP and the device's tcpdump
            device.boot()
            server, port = await self._listen(device, ports)
            self._sim_devices.append(device)
            self._servers.append(server)
            listening.append((device, port))
        self._phone = PhoneBackend(self._sim_devices, self._truth)
        phones: list[tuple[SimDevice, int]] = []
        for index in range(self.phone_count):
            assert self.phone_profile is not None
            phone = SimDevice(self.phone_profile, index, time_scale=self.time_scale)
            install_wechat(phone, self._phone, self._truth)  # WeChat and the caller Mini Program
            phone.boot()
            server, port = await self._listen(phone, ports)
            self._sim_phones.append(phone)
            self._servers.append(server)
            phones.append((phone, port))
        self.phone_url = await self._phone.start(HOST, 0)
        self.devices = [DeviceInfo(serial=f"{HOST}:{port}", port=port, model=device.model, sn=self._phone_sn(device),
                                   phone=self.phone_url) for device, port in listening]
        self.phones = [DeviceInfo(serial=f"{HOST}:{port}", port=port, model=phone.model, sn=phone.serialno,
                                  phone=self.phone_url, role="phone") for phone, port in phones]

    @staticmethod
    def _phone_sn(device: SimDevice) -> str:
        from simulator.wmpf import model_of

        return model_of(device).sn

    async def _listen(self, device: SimDevice, ports) -> tuple[asyncio.Server, int]:
        for port in ports:
            try:
                server = await serve_device(device, HOST, port, adb_keys=self.adb_keys)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    continue
                raise
            return server, port
        raise SimulatorError(f"no free port from {self.base_port} upwards outside the ephemeral range")

    async def _stop_devices(self) -> None:
        if self._phone is not None:
            await self._phone.stop()
        for device in self._sim_devices:
            device.shutdown()
            media_of(device).shutdown()
        for phone in self._sim_phones:
            phone.shutdown()
        await self.media_relay.stop()
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        if self._truth is not None:
            self._truth.close()
