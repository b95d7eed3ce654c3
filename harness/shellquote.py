"""Quoting for the device's ``sh``: any text becomes exactly one word, and nothing in it is ever run.

adb's v1 ``shell:`` service hands the whole command line to the device's ``sh -c``, so a push payload with
quotes, ``;``, ``$(...)``, backticks or newlines would be *executed* if pasted in. Single quotes are the one
POSIX quoting with no special characters inside; a single quote itself is closed, escaped and reopened
(``'\\''``). NUL cannot travel in an argv at all and is refused; so is text that is not valid Unicode (a lone
surrogate, as ``surrogateescape`` makes of invalid UTF-8 bytes): adb carries the command line as UTF-8.
"""

from __future__ import annotations

import re

from harness.errors import InjectionError

_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def sh_quote(text: str) -> str:
    """``text`` as one literal word for a POSIX ``sh`` (mksh/toybox on Android)."""
    if "\x00" in text:
        raise InjectionError("a NUL byte cannot be passed through the device shell (argv strings end at NUL)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InjectionError(f"text with a lone surrogate ({text[exc.start]!r} at {exc.start}, e.g. invalid UTF-8 "
                             "decoded with surrogateescape) cannot be passed through the device shell: adb "
                             "sends the command as UTF-8") from None
    if text and _SAFE.fullmatch(text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def sh_join(argv: list[str]) -> str:
    return " ".join(sh_quote(arg) for arg in argv)
