"""logcat's entry selection: filterspecs (``Tag:P``, ``*:S``) and ``-t``/``-T`` time points.

Kept apart from output formatting because both the ``logcat`` command and in-process readers (tests, the
control interface) need the exact selection rules of AOSP ``logprint.cpp`` and ``logcat.cpp``: the last rule
for a tag wins, ``*`` alone means ``*:D``, a bare tag means ``Tag:V``, only the first letter of a priority
counts, and ``-T`` accepts ``MM-DD hh:mm:ss.mmm``, ``YYYY-MM-DD hh:mm:ss.mmm`` or ``sssss.mmm`` (epoch).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from simulator.errors import SimulatorError

SILENT = 8
VERBOSE = 2
DEBUG = 3
_LETTERS = {"v": 2, "d": 3, "i": 4, "w": 5, "e": 6, "f": 7, "s": 8}


class FilterSpecError(SimulatorError, ValueError):
    """A filterspec is malformed (logcat: ``Invalid filter expression``)."""


def _priority(ch: str) -> int | None:
    """``filterCharToPri``: letters, digits (>= 8 means verbose) and ``*``; None when unknown."""
    c = ch.lower()
    if c.isdigit():
        n = int(c)
        return VERBOSE if n >= SILENT else (None if n == 0 else n)
    if c == "*":
        return 1  # ANDROID_LOG_DEFAULT
    return _LETTERS.get(c)


@dataclass
class TagFilter:
    """Which entries a logcat prints: a global minimum priority and per-tag minimums."""

    global_priority: int = VERBOSE
    tags: dict[str, int] = field(default_factory=dict)

    def add_rule(self, rule: str) -> None:
        tag, colon, rest = rule.partition(":")
        if not tag:
            raise FilterSpecError(rule)
        pri = 1
        if colon:
            parsed = _priority(rest[:1]) if rest else None
            if parsed is None:
                raise FilterSpecError(rule)
            pri = parsed
        if tag == "*":
            self.global_priority = DEBUG if pri == 1 else pri
        else:
            self.tags[tag] = VERBOSE if pri == 1 else pri

    def add_string(self, spec: str) -> None:
        """A comma/space separated list of rules (a logcat argument or ``$ANDROID_LOG_TAGS``)."""
        for rule in re.split(r"[ \t,]", spec):
            if rule:
                self.add_rule(rule)

    def allows(self, tag: str, priority: int) -> bool:
        return priority >= self.tags.get(tag, self.global_priority)


_MONTH_DAY = re.compile(r"(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?")
_YEAR = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?")
_EPOCH = re.compile(r"(\d+)\.(\d+)")


def _frac_ns(digits: str | None) -> int:
    return int((digits or "0")[:9].ljust(9, "0"))


def parse_log_time(text: str, tz: _dt.tzinfo, now_wall_ns: int) -> tuple[int, str] | None:
    """Parse a ``-t``/``-T`` time into device wall ns; also return any trailing text logcat would warn of.

    ``MM-DD`` times take the year of the device's current date, as logd's ``log_time::strptime`` does.
    """
    for pattern in (_YEAR, _MONTH_DAY):
        m = pattern.match(text)
        if not m:
            continue
        groups = m.groups()
        if pattern is _MONTH_DAY:
            year = _dt.datetime.fromtimestamp(now_wall_ns // 1_000_000_000, tz).year
            month, day, hour, minute, second, frac = groups
        else:
            year, month, day, hour, minute, second, frac = groups  # type: ignore[assignment]
            year = int(year)
        try:
            when = _dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                                tzinfo=tz)
        except ValueError:
            return None
        return int(when.timestamp()) * 1_000_000_000 + _frac_ns(frac), text[m.end():]
    m = _EPOCH.match(text)
    if m:
        return int(m.group(1)) * 1_000_000_000 + _frac_ns(m.group(2)), text[m.end():]
    return None
