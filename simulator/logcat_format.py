"""Render :class:`~simulator.logbuffer.LogEntry` lines byte for byte as Android's ``logcat`` does.

The harness (and any lab tool) parses device logs with regexes written against real devices, so every
width and separator here follows AOSP ``liblog/logprint.cpp`` (``android_log_formatLogLine``):

* time: ``%m-%d %H:%M:%S`` (``year`` prepends ``%Y-``), ``epoch`` → ``%19lld`` seconds, ``monotonic`` →
  ``%6lld`` seconds since boot; then ``.%03ld`` ms, ``usec`` ``.%06ld``, ``nsec`` ``.%09ld``; ``zone`` appends
  `` %z`` (not with epoch/monotonic);
* tags are padded ``%-8s``, pids and tids ``%5d``; ``uid`` adds ``%5s:`` (a user name of at most 5 characters,
  else the number) before the pid, its ``:`` becoming a space in ``threadtime``;
* a message with newlines gives one line per message line (except ``long``); ``printable`` escapes control
  bytes and backslashes.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.errors import SimulatorError
from simulator.logbuffer import LogEntry

VERBS = ("brief", "process", "tag", "thread", "raw", "time", "threadtime", "long")
MODIFIERS = ("color", "colour", "usec", "nsec", "printable", "year", "zone", "epoch", "monotonic", "uid",
             "descriptive")

# Android ids whose passwd names fit logprint's 5-character column (longer names print as numbers).
_SHORT_UID_NAMES = {
    0: "root", 1001: "radio", 1004: "input", 1005: "audio", 1007: "log", 1010: "wifi", 1013: "media",
    1019: "drm", 1021: "gps", 1027: "nfc", 1036: "logd", 2000: "shell",
}
_COLORS = {2: 39, 3: 34, 4: 32, 5: 33, 6: 31, 7: 31, 8: 39}  # VERBOSE default ... ERROR/FATAL red
_C_ESCAPES = "abtnvfr"  # \a (7) ... \r (13)


class LogFormatError(SimulatorError, ValueError):
    """A ``-v`` word is neither a format, a modifier nor a time zone (logcat exits with ``Invalid -v``)."""

    def __init__(self, word: str) -> None:
        self.word = word
        super().__init__(f"Invalid -v '{word}'.")


def _zone(name: str) -> _dt.tzinfo | None:
    if name in ("UTC", "GMT"):
        return _dt.timezone.utc
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def device_zone(name: str | None) -> _dt.tzinfo:
    """The device's local zone from ``persist.sys.timezone`` (UTC when unset or unknown)."""
    return (_zone(name) if name else None) or _dt.timezone.utc


def convert_printable(text: str) -> str:
    """logprint's ``convertPrintable``: keep printable text and tabs, escape the rest C-style."""
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if (32 <= code < 0x7F and ch != "\\") or ch == "\t":
            out.append(ch)
        elif 7 <= code <= 13 or ch == "\\":
            out.append("\\" + ("\\" if ch == "\\" else _C_ESCAPES[code - 7]))
        elif code < 32 or code == 0x7F:
            out.append(f"\\x{code:02X}")
        else:
            out.append(ch)  # valid UTF-8 beyond ASCII passes through
    return "".join(out)


def uid_column(uid: int) -> str:
    """``%5s:`` with the passwd name when it has at most 5 characters, else ``%5d:``."""
    if uid < 0:
        return "      "
    name = _SHORT_UID_NAMES.get(uid)
    return f"{name:>5}:" if name else f"{uid:5d}:"


@dataclass
class LogFormat:
    """One logcat output format: a verb plus adverb modifiers, built from ``-v`` words."""

    verb: str | None = None  # None until a -v verb is seen; finish() picks threadtime
    color: bool = False
    usec: bool = False
    nsec: bool = False
    printable: bool = False
    year: bool = False
    zone: bool = False
    epoch: bool = False
    monotonic: bool = False
    uid: bool = False
    descriptive: bool = False
    tz: _dt.tzinfo = field(default=_dt.timezone.utc)

    @classmethod
    def parse(cls, words: list[str] | str, tz: _dt.tzinfo | None = None) -> LogFormat:
        """``LogFormat.parse("threadtime,epoch")`` or a list of ``-v`` arguments; raises LogFormatError."""
        fmt = cls(tz=tz or _dt.timezone.utc)
        for arg in [words] if isinstance(words, str) else words:
            for word in split_words(arg):
                fmt.apply(word)
        return fmt.finish()

    def apply(self, word: str) -> bool:
        """Apply one ``-v`` word; return True when it was a verb (logcat's ``hasSetLogFormat``)."""
        if word in VERBS:
            self.verb = word
            return True
        if word in ("color", "colour"):
            self.color = True
        elif word == "zone":
            self.zone = not self.zone  # logprint toggles
        elif word in MODIFIERS:
            setattr(self, word, True)
        else:
            zone = _zone(word)
            if zone is None:
                raise LogFormatError(word)
            self.tz = zone  # a zone name sets $TZ and, like "zone", toggles the zone suffix
            self.zone = not self.zone
        return False

    def finish(self, default_verb: str = "threadtime") -> LogFormat:
        if self.verb is None:
            self.verb = default_verb
        return self

    # -- rendering ----------------------------------------------------------------------------------
    def time_text(self, entry: LogEntry) -> str:
        if self.monotonic:
            sec, nsec = divmod(entry.uptime_ns, 1_000_000_000)
            text = f"{sec:6d}"
        else:
            sec, nsec = divmod(entry.wall_ns, 1_000_000_000)
            if self.epoch:
                text = f"{sec:19d}"
            else:
                when = _dt.datetime.fromtimestamp(sec, self.tz)
                text = when.strftime("%Y-%m-%d %H:%M:%S" if self.year else "%m-%d %H:%M:%S")
        if self.nsec:
            text += f".{nsec:09d}"
        elif self.usec:
            text += f".{nsec // 1000:06d}"
        else:
            text += f".{nsec // 1_000_000:03d}"
        if self.zone and not (self.epoch or self.monotonic):
            text += " " + _dt.datetime.fromtimestamp(sec, self.tz).strftime("%z")
        return text

    def format(self, entry: LogEntry) -> str:
        """The complete text logcat writes for ``entry`` (one or more lines, each ending in ``\\n``)."""
        pri = entry.priority_letter if 2 <= entry.priority <= 8 else "?"
        uid = uid_column(entry.uid) if self.uid else ""
        tag = entry.tag
        verb = self.verb or "threadtime"
        prefix_color = f"\x1b[{_COLORS.get(entry.priority, 39)}m" if self.color else ""
        suffix = ("\x1b[0m" if self.color else "") + "\n"
        if verb == "long":
            head = (f"{prefix_color}[ {self.time_text(entry)} {uid}{entry.pid:5d}:{entry.tid:5d} "
                    f"{pri}/{tag:<8} ]\n")
            body = convert_printable(entry.message) if self.printable else entry.message
            return head + body + suffix + "\n"
        if verb == "tag":
            prefix = f"{pri}/{tag:<8}: "
        elif verb == "process":
            prefix = f"{pri}({uid}{entry.pid:5d}) "
            suffix = ("\x1b[0m" if self.color else "") + f"  ({tag})\n"
        elif verb == "thread":
            prefix = f"{pri}({uid}{entry.pid:5d}:{entry.tid:5d}) "
        elif verb == "raw":
            prefix = ""
        elif verb == "time":
            prefix = f"{self.time_text(entry)} {pri}/{tag:<8}({uid}{entry.pid:5d}): "
        elif verb == "threadtime":
            uid = uid.replace(":", " ", 1)
            prefix = f"{self.time_text(entry)} {uid}{entry.pid:5d} {entry.tid:5d} {pri} {tag:<8}: "
        else:  # brief
            prefix = f"{pri}/{tag:<8}({uid}{entry.pid:5d}): "
        prefix = prefix_color + prefix
        message = entry.message
        if message.endswith("\n"):
            message = message[:-1]
        lines = message.split("\n")
        if self.printable:
            lines = [convert_printable(line) for line in lines]
        if len(lines) == 1:
            return prefix + lines[0] + suffix
        return "".join(prefix + line + suffix for line in lines)


def split_words(arg: str) -> list[str]:
    """logcat splits ``-v`` and ``-b`` values on ``,:; \\t\\n\\r\\f``."""
    out, word = [], []
    for ch in arg:
        if ch in ",:; \t\n\r\f":
            if word:
                out.append("".join(word))
                word = []
        else:
            word.append(ch)
    if word:
        out.append("".join(word))
    return out


def format_entry(entry: LogEntry, fmt: str | LogFormat = "threadtime") -> str:
    """Convenience for tests and tools: ``format_entry(e, "threadtime,epoch,usec")``."""
    return (fmt if isinstance(fmt, LogFormat) else LogFormat.parse(fmt)).format(entry)
