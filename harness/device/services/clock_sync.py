"""Clock sync: device-minus-host offset and drift from bracketed samples over one persistent device shell.

Why a persistent shell: each adbutils ``shell()`` call opens two adb connections and sleeps on close (about
20 ms), so its bracket is wide and the offset bound with it. One ``sh`` opened once and fed ``date +%s.%N``
line by line answers in a single adb round trip (well under a millisecond on loopback). Bursts of samples are
taken at start and then periodically in the background, so drift is tracked over the run and every event is
mapped with a bound that is tight between samples (see :mod:`harness.device.clock_model`).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading

import adbutils

from harness.device.clock_model import ClockEstimate, ClockModel, ClockSample
from harness.device.services.base import DeviceLink, DeviceService
from harness.errors import ClockSyncError
from harness.hostclock import host_ns

_EPOCH_LINE = re.compile(rb"^(\d{9,})(?:\.(\d{1,9}))?\r?$")
DATE_COMMANDS = ((b"date +%s.%N\n", 1), (b"date +%s\n", 1_000_000_000))  # (command, resolution ns)


class ClockSyncService(DeviceService):
    name = "clock"

    def __init__(self, session: DeviceLink, *, burst: int = 24, periodic_burst: int = 8,
                 interval_s: float = 1.0, keep_per_burst: int = 4, max_drift_ppm: float = 1000.0,
                 read_timeout_s: float = 5.0) -> None:
        super().__init__(session)
        self.burst = burst
        self.periodic_burst = periodic_burst
        self.interval_s = interval_s
        self.read_timeout_s = read_timeout_s
        self.model = ClockModel(max_drift_ppm=max_drift_ppm, keep_per_burst=keep_per_burst)
        self._conn: adbutils.AdbConnection | None = None
        self._buf = b""
        self._io_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._date = DATE_COMMANDS[0]
        self.sample_count = 0

    # -- lifecycle -----------------------------------------------------------------------------------
    def _start(self) -> None:
        self._wake.clear()
        self._buf = b""
        self._conn = self.session.device.shell("sh", stream=True)
        sock = self._conn.conn
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.read_timeout_s)
        self._choose_date_command()
        self.sync(self.burst)
        if self.interval_s > 0:
            self._thread = threading.Thread(target=self._periodic, name=f"clock-{self.serial}", daemon=True)
            self._thread.start()

    def _stop(self) -> None:
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.read_timeout_s + 1)
        self._thread = None
        with self._io_lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.conn.sendall(b"exit\n")
                conn.close()

    def _choose_date_command(self) -> None:
        for command, resolution in DATE_COMMANDS:
            try:
                value = self._read_clock(command)
            except ClockSyncError:
                continue
            if value is not None:
                self._date = (command, resolution)
                self.model.resolution_ns = resolution
                if resolution > 1:
                    self.log.warning("device %s: date lacks %%N; clock bound limited to %d ns", self.serial,
                                     resolution)
                return
        raise ClockSyncError(f"device {self.serial}: cannot read the clock with 'date +%s.%N' or 'date +%s' "
                             f"from a persistent sh")

    # -- sampling ------------------------------------------------------------------------------------
    def _readline(self) -> bytes:
        assert self._conn is not None
        sock = self._conn.conn
        while b"\n" not in self._buf:
            try:
                chunk = sock.recv(4096)
            except TimeoutError as exc:
                raise ClockSyncError(f"device {self.serial}: persistent sh did not answer within "
                                     f"{self.read_timeout_s:g} s (does its sh run stdin line by line?)") from exc
            except OSError as exc:
                raise ClockSyncError(f"device {self.serial}: clock shell failed: {exc}") from exc
            if not chunk:
                raise ClockSyncError(f"device {self.serial}: clock shell closed by the device")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def _read_clock(self, command: bytes) -> int | None:
        """Send one date command and return the device clock in ns (None if the output is not a time)."""
        with self._io_lock:
            if self._conn is None:
                raise ClockSyncError(f"device {self.serial}: clock shell is not open")
            self._conn.conn.sendall(command)
            m = _EPOCH_LINE.match(self._readline())
        if m is None:
            return None
        frac = (m.group(2) or b"").decode()
        return int(m.group(1)) * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)

    def sample(self) -> ClockSample:
        command = self._date[0]
        with self._io_lock:
            if self._conn is None:
                raise ClockSyncError(f"device {self.serial}: clock shell is not open")
            sock = self._conn.conn
            before = host_ns()
            sock.sendall(command)
            line = self._readline()
            after = host_ns()
        m = _EPOCH_LINE.match(line)
        if m is None:
            raise ClockSyncError(f"device {self.serial}: unexpected clock output {line[:80]!r}")
        frac = (m.group(2) or b"").decode()
        device = int(m.group(1)) * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)
        self.sample_count += 1
        return ClockSample(before, device, after)

    def sync(self, count: int | None = None) -> ClockEstimate:
        """Take a burst of ``count`` samples now and return the updated estimate."""
        burst = [self.sample() for _ in range(count or self.periodic_burst)]
        with self._model_lock:
            self.model.add_burst(burst)
            return self.model.estimate()

    def estimate(self) -> ClockEstimate:
        self.check()
        with self._model_lock:
            return self.model.estimate()

    def _periodic(self) -> None:
        while not self._wake.wait(self.interval_s):
            try:
                self.sync(self.periodic_burst)
            except ClockSyncError as exc:
                if not self._wake.is_set():
                    self.mark_failed(str(exc))
                return
