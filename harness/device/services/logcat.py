"""One persistent streaming logcat per device; parsed lines fan out to waiters and subscribers.

Why streaming: an event the device logs is known to the harness a few hundred microseconds after it happens,
stamped with the device's own clock, at no cost per wait. Polling (``logcat -d`` or a uiautomator2 dump in a
loop) costs tens to hundreds of milliseconds per look and times events by when the host happened to look.

Waiters never race the device: take :meth:`LogcatService.mark` *before* triggering an action, then
``wait_for(..., since=mark)`` also sees lines that arrived before the wait began. If the stream dies (reboot,
link drop) waiters fail at once with :class:`~harness.errors.ServiceError` instead of timing out.

Memory stays flat over a soak of any length: the history keeps the last ``tail`` lines and the lines of the last
``keep_s`` seconds (so a mark taken before an action still finds the action's lines when the wait starts after
it), and further back only what a live :meth:`LogcatService.pin` still needs (a call pins its start for its
evidence; a wait pins its position while it waits). ``history`` is the hard cap even over pins, so a pin never
released cannot grow the harness without bound (a warning says when a pinned line had to go).
"""

from __future__ import annotations

import collections
import contextlib
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import adbutils

from harness.device.logcat_parse import FORMATS, LogcatParser, LogLine, zone_from_device
from harness.device.services.base import DeviceLink, DeviceService, ServiceState
from harness.errors import ServiceError, WaitTimeout
from harness.hostclock import host_ns

Predicate = Callable[[LogLine], Any]


_LOGCAT_ERROR = re.compile(r"^(?:Invalid |logcat: |Unknown |unknown )", re.IGNORECASE)


def predicate(match: str | re.Pattern[str] | Callable[[LogLine], Any], tag: str | None = None) -> Predicate:
    """A predicate over lines: a regex (searched in the message, optionally only for ``tag``) or a callable."""
    if callable(match) and not isinstance(match, re.Pattern):
        if tag is None:
            return match
        return lambda line: line.tag == tag and match(line)
    pattern = re.compile(match) if isinstance(match, str) else match
    if tag is None:
        return lambda line: pattern.search(line.message)
    return lambda line: line.tag == tag and pattern.search(line.message)


class LogcatService(DeviceService):
    name = "logcat"

    def __init__(self, session: DeviceLink, *, history: int = 50_000, tail: int = 2_000, keep_s: float = 10.0,
                 formats: Iterable[tuple[str, ...]] = FORMATS, buffers: tuple[str, ...] = ()) -> None:
        super().__init__(session)
        if not 0 < tail <= history:
            raise ValueError(f"logcat tail {tail} must be between 1 and the history cap {history}")
        self.history_size = history
        self.tail = tail
        self.keep_s = keep_s
        self.candidate_formats = tuple(formats)
        self.buffers = buffers
        self.format: tuple[str, ...] | None = None
        self.parser = LogcatParser()
        self._history: collections.deque[LogLine] = collections.deque(maxlen=history)
        self._next_seq = 0
        self._pins: collections.Counter[int] = collections.Counter()
        self._cap_warned = False
        self._cond = threading.Condition()
        self._subscribers: list[Callable[[LogLine], None]] = []
        self._conn: adbutils.AdbConnection | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._last_device_ns: int | None = None
        self._resume_ns: int | None = None  # a restarted stream replays from here: skip what we already have
        self._resume_raws: set[str] = set()
        self.unparsed = 0
        self.stream_starts = 0

    # -- lifecycle -----------------------------------------------------------------------------------
    def _start(self) -> None:
        device = self.session.device
        if self.format is None:
            self.format = self._detect_format(device)
        self._stopping = False
        if self._last_device_ns is not None:
            with self._cond:
                self._resume_ns = self._last_device_ns
                self._resume_raws = {ln.raw for ln in self._history if ln.device_ns == self._last_device_ns}
        self._conn = device.shell(self._command(), stream=True)
        sock = self._conn.conn
        sock.settimeout(None)
        self.stream_starts += 1
        self._thread = threading.Thread(target=self._reader, args=(self._conn,),
                                        name=f"logcat-{self.serial}", daemon=True)
        self._thread.start()

    def _stop(self) -> None:
        self._stopping = True
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None
        with self._cond:
            self._cond.notify_all()

    def _command(self) -> str:
        args = ["logcat"]
        for word in self.format or ():
            args += ["-v", word]
        for buffer in self.buffers:
            args += ["-b", buffer]
        if self._last_device_ns is not None and "epoch" in (self.format or ()):
            # a restart resumes where the old stream stopped (lines at that exact instant are deduplicated)
            sec, ns = divmod(self._last_device_ns, 1_000_000_000)
            args += ["-T", f"{sec}.{ns // 1000:06d}"]
        else:
            args += ["-T", "1"]
        return " ".join(args)

    def _detect_format(self, device: adbutils.AdbDevice) -> tuple[str, ...]:
        """The best ``-v`` set this device's logcat accepts; sets up the threadtime fallback if needed."""
        for words in self.candidate_formats:
            flags = " ".join(f"-v {w}" for w in words)
            result = device.shell2(f"logcat -d -t 5 {flags}", timeout=15)
            lines = [ln for ln in result.output.splitlines() if ln.strip() and not ln.startswith("---------")]
            if result.returncode != 0 or any(_LOGCAT_ERROR.match(ln) for ln in lines[:3]):
                continue  # e.g. "Invalid -v 'epoch'." or "logcat: unknown option"
            if lines and not any(self.parser.parse(ln) for ln in lines):
                continue  # accepted, but not in a layout we can parse
            if "epoch" not in words:
                self._setup_local_time(device)
            if words != self.candidate_formats[0]:
                self.log.warning("logcat on %s lacks -v %s; using -v %s", self.serial,
                                 " -v ".join(self.candidate_formats[0]), " -v ".join(words))
            return words
        raise ServiceError(f"logcat on {self.serial} accepts none of the formats "
                           f"{['-v ' + ' -v '.join(w) for w in self.candidate_formats]}")

    def _setup_local_time(self, device: adbutils.AdbDevice) -> None:
        year_zone = device.shell("date +%Y:%m:%z", timeout=10).strip()
        year, _, rest = year_zone.partition(":")
        month, _, zone = rest.partition(":")
        prop = device.getprop("persist.sys.timezone")
        self.parser = LogcatParser(tz=zone_from_device(prop, zone), year=int(year) if year.isdigit() else None,
                                   now_month=int(month) if month.isdigit() else None)

    # -- the reader thread ---------------------------------------------------------------------------
    def _reader(self, conn: adbutils.AdbConnection) -> None:
        buf = b""
        reason = "logcat stream closed by the device"
        try:
            sock = conn.conn
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                rx = host_ns()
                buf += chunk
                if b"\n" not in chunk:
                    continue
                *complete, buf = buf.split(b"\n")
                self._ingest((raw.decode("utf-8", errors="replace") for raw in complete), rx)
        except (OSError, adbutils.AdbError) as exc:
            reason = f"logcat stream error: {exc}"
        if not self._stopping and conn is self._conn:
            self.mark_failed(reason)
        with self._cond:
            self._cond.notify_all()

    def _ingest(self, texts: Iterable[str], rx_ns: int) -> None:
        fresh: list[LogLine] = []
        with self._cond:
            for text in texts:
                parsed = self.parser.parse(text)
                if parsed is None:
                    if text.strip() and not text.startswith("---------"):
                        self.unparsed += 1
                    continue
                if self._resume_ns is not None:
                    if parsed.device_ns < self._resume_ns or (
                            parsed.device_ns == self._resume_ns and parsed.raw in self._resume_raws):
                        continue  # replayed by a restarted stream's -T
                    if parsed.device_ns > self._resume_ns:
                        self._resume_ns, self._resume_raws = None, set()
                line = parsed.with_stream_info(self._next_seq, rx_ns)
                self._next_seq += 1
                self._append(line)
                self._last_device_ns = line.device_ns
                fresh.append(line)
            if fresh:
                self._trim()
                self._cond.notify_all()
            subscribers = list(self._subscribers)
        for callback in subscribers:
            for line in fresh:
                try:
                    callback(line)
                except Exception:
                    self.log.exception("logcat subscriber failed on %s", self.serial)

    def _append(self, line: LogLine) -> None:
        full = len(self._history) == self.history_size
        if full and self._pins and not self._cap_warned and self._history[0].seq >= min(self._pins):
            self._cap_warned = True
            self.log.warning("logcat on %s: %d lines since the oldest pin (seq %d); dropping pinned lines "
                             "to stay within the history cap", self.serial, self.history_size, min(self._pins))
        self._history.append(line)  # the deque's maxlen is the hard cap

    def _trim(self) -> None:
        """Drop lines older than the tail, the last ``keep_s`` seconds and every live pin (caller holds the lock)."""
        floor = self._next_seq - self.tail
        if self._pins:
            floor = min(floor, min(self._pins))
        young = host_ns() - int(self.keep_s * 1e9)
        history = self._history
        while history and history[0].seq < floor and history[0].host_rx_ns < young:
            history.popleft()

    # -- public API ----------------------------------------------------------------------------------
    def pin(self, seq: int | None = None) -> LogcatPin:
        """Keep the lines from ``seq`` (default: the next line, like :meth:`mark`) until the pin is released."""
        with self._cond:
            pinned = self._next_seq if seq is None else seq
            self._pins[pinned] += 1
        return LogcatPin(self, pinned)

    def _unpin(self, seq: int) -> None:
        with self._cond:
            self._move_pin(seq, None)
            self._trim()

    def _move_pin(self, old: int, new: int | None) -> None:
        """Move one hold from ``old`` to ``new`` (None: drop it); caller holds the lock."""
        if old == new:
            return
        self._pins[old] -= 1
        if self._pins[old] <= 0:
            del self._pins[old]
        if new is not None:
            self._pins[new] += 1

    def mark(self) -> int:
        """The sequence number the next line will get: pass it as ``since`` to wait for what follows."""
        with self._cond:
            return self._next_seq

    def lines(self, since: int = 0, until: int | None = None) -> list[LogLine]:
        with self._cond:
            return self._slice(since, until)

    def _slice(self, since: int, until: int | None = None) -> list[LogLine]:
        if not self._history:
            return []
        first = self._history[0].seq
        start = max(0, since - first)
        stop = len(self._history) if until is None else max(0, min(len(self._history), until - first))
        return [self._history[i] for i in range(start, stop)]

    def subscribe(self, callback: Callable[[LogLine], None]) -> Callable[[], None]:
        """Call ``callback(line)`` for every new line (on the reader thread); returns an unsubscribe function."""
        with self._cond:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._cond:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def wait_for(self, match: str | re.Pattern[str] | Callable[[LogLine], Any], timeout: float, *,
                 since: int | None = None, tag: str | None = None, what: str | None = None) -> LogLine:
        """The first line from ``since`` (default: now) that matches; :class:`WaitTimeout` after ``timeout`` s."""
        _name, line = self.wait_for_first({what or _describe(match, tag): predicate(match, tag)}, timeout,
                                         since=since)
        return line

    def wait_for_first(self, predicates: dict[str, Predicate], timeout: float, *,
                       since: int | None = None) -> tuple[str, LogLine]:
        """The first line matching any of ``predicates``, with the name of the one it matched."""
        deadline = time.monotonic() + timeout
        with self._cond:
            pos = self._next_seq if since is None else since
            self._pins[pos] += 1  # lines arriving while this waiter sleeps stay until it has looked at them
            try:
                while True:
                    for line in self._slice(pos):
                        for name, pred in predicates.items():
                            if pred(line):
                                return name, line
                    self._move_pin(pos, self._next_seq)
                    pos = self._next_seq
                    if self.state is not ServiceState.RUNNING:
                        self.check()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise WaitTimeout(" or ".join(predicates), timeout, self.serial)
                    self._cond.wait(remaining)
            finally:
                self._move_pin(pos, None)

    def find(self, match: str | re.Pattern[str] | Callable[[LogLine], Any], *, since: int = 0,
             until: int | None = None, tag: str | None = None) -> list[LogLine]:
        """All lines already received in ``[since, until)`` that match (no waiting)."""
        pred = predicate(match, tag)
        return [line for line in self.lines(since, until) if pred(line)]


class LogcatPin:
    """A hold on the lines from ``seq`` on; release it (or leave its ``with`` block) when they are no longer needed."""

    def __init__(self, service: LogcatService, seq: int) -> None:
        self.service = service
        self.seq = seq
        self._held = True

    def release(self) -> None:
        """Let the pinned lines go (idempotent)."""
        if self._held:
            self._held = False
            self.service._unpin(self.seq)

    def __enter__(self) -> LogcatPin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(match: object, tag: str | None) -> str:
    text = match.pattern if isinstance(match, re.Pattern) else match if isinstance(match, str) else getattr(
        match, "__name__", repr(match))
    return f"log line {tag + ': ' if tag else ''}{text!r}"
