"""Parse logcat lines into entries stamped on the device clock (epoch ns), whatever the device's logcat offers.

The preferred format is ``-v epoch -v usec -v uid`` (threadtime layout, seconds since the epoch with µs): no
time-zone or year guessing and 1 µs resolution. Old or stripped-down logcats lack ``epoch``/``usec``; for them
``threadtime`` (``MM-DD HH:MM:SS.mmm``, local time, no year) is parsed with the device's year and time zone,
at 1 ms resolution. Each entry says its resolution, so timing bounds include it.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from dataclasses import dataclass, replace

# Candidate -v argument sets, best first.
FORMATS: tuple[tuple[str, ...], ...] = (
    ("epoch", "usec", "uid"),
    ("epoch", "usec"),
    ("threadtime", "usec"),
    ("threadtime",),
)

_TIME = (r"(?:(?P<epoch>\d+)\.(?P<efrac>\d{3,9})"
         r"|(?:(?P<year>\d{4})-)?(?P<mon>\d\d)-(?P<day>\d\d) (?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)\.(?P<frac>\d{3,9})"
         r"(?: (?P<zone>[+-]\d{4}))?)")
LINE_RE = re.compile(
    rf"^\s*{_TIME}\s+(?:(?P<uid>[A-Za-z0-9_]+)\s+)?(?P<pid>\d+)\s+(?P<tid>\d+)\s+(?P<pri>[VDIWEFSA])\s"
    r"(?P<tag>.*?)\s*:(?: (?P<msg>.*))?$")


@dataclass(frozen=True, slots=True)
class LogLine:
    """One parsed logcat line; ``device_ns`` is the device's wall clock when the line was logged.

    Slotted: the logcat service keeps up to 50,000 of these, so the per-instance ``__dict__`` would be a
    third of the history's memory.
    """

    device_ns: int
    resolution_ns: int  # the true instant is in [device_ns, device_ns + resolution_ns)
    pid: int
    tid: int
    priority: str
    tag: str
    message: str
    uid: str | None = None
    raw: str = ""
    seq: int = 0  # position in the stream (set by the logcat service)
    host_rx_ns: int = 0  # host instant the line was read (for detection-lag figures)

    @property
    def device_ms(self) -> float:
        return self.device_ns / 1e6

    def with_stream_info(self, seq: int, host_rx_ns: int) -> LogLine:
        return replace(self, seq=seq, host_rx_ns=host_rx_ns)


def _frac_ns(frac: str) -> tuple[int, int]:
    """(nanoseconds, resolution in ns) of a fractional-second field of 3, 6 or 9 digits."""
    digits = len(frac)
    return int(frac) * 10 ** (9 - digits), 10 ** (9 - digits)


@dataclass
class LogcatParser:
    """Parses lines of one device; ``tz`` and ``year`` matter only for the threadtime fallback."""

    tz: _dt.tzinfo = _dt.timezone.utc
    year: int | None = None  # the device's current year; None: the host's
    now_month: int | None = None

    def parse(self, line: str) -> LogLine | None:
        """The entry of one line, or None for dividers (``--------- beginning of main``) and junk."""
        text = line.rstrip("\r\n")
        m = LINE_RE.match(text)
        if m is None:
            return None
        if m.group("epoch") is not None:
            frac_ns, res = _frac_ns(m.group("efrac"))
            device_ns = int(m.group("epoch")) * 1_000_000_000 + frac_ns
        else:
            frac_ns, res = _frac_ns(m.group("frac"))
            device_ns = self._local_to_epoch_ns(m) + frac_ns
        return LogLine(device_ns=device_ns, resolution_ns=res, pid=int(m.group("pid")), tid=int(m.group("tid")),
                       priority=sys.intern(m.group("pri")), tag=sys.intern(m.group("tag")),
                       message=m.group("msg") or "", uid=m.group("uid"), raw=text)  # a few tags, shared by every line

    def _local_to_epoch_ns(self, m: re.Match[str]) -> int:
        month = int(m.group("mon"))
        if m.group("year"):
            year = int(m.group("year"))
        else:
            now = _dt.datetime.now(self.tz)
            year = self.year or now.year
            current_month = self.now_month or now.month
            if month > current_month + 1:  # a December line read in January belongs to last year
                year -= 1
        tz: _dt.tzinfo = self.tz
        if m.group("zone"):
            zone = m.group("zone")
            minutes = int(zone[1:3]) * 60 + int(zone[3:5])
            tz = _dt.timezone(_dt.timedelta(minutes=minutes if zone[0] == "+" else -minutes))
        when = _dt.datetime(year, month, int(m.group("day")), int(m.group("H")), int(m.group("M")),
                            int(m.group("S")), tzinfo=tz)
        return int(when.timestamp()) * 1_000_000_000


def zone_from_device(timezone_prop: str | None, utc_offset: str | None) -> _dt.tzinfo:
    """The device's zone: ``persist.sys.timezone`` when the host knows it, else the ``date +%z`` offset."""
    if timezone_prop:
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(timezone_prop.strip())
        except Exception:  # unknown to the host's tz database: fall back to the fixed offset
            pass
    text = (utc_offset or "").strip()
    if re.fullmatch(r"[+-]\d{4}", text):
        minutes = int(text[1:3]) * 60 + int(text[3:5])
        return _dt.timezone(_dt.timedelta(minutes=minutes if text[0] == "+" else -minutes))
    return _dt.timezone.utc
