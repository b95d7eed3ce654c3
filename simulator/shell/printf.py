"""``echo`` escapes, ``printf`` formatting and one-letter ``%`` codes, shared by builtins and commands.

mksh and toybox agree on the escapes and printf; toybox scans ``stat -c`` and ``date +FMT`` formats alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ESCAPES = {"a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\"}
_SPEC = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXcsbfeEgG%])")


class StopOutput(Exception):
    """``\\c`` in ``echo``/``printf %b``: print nothing more."""


def unescape(text: str, *, octal_prefix: str = "0") -> str:
    """Process backslash escapes (``\\n``, ``\\0NNN`` for echo, ``\\NNN`` for printf); ``\\c`` stops."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt == "c":
            raise StopOutput("".join(out))
        elif nxt == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2:])
            if m:
                out.append(chr(int(m.group(0), 16)))
                i += 2 + m.end()
            else:
                out.append("\\x")
                i += 2
        elif nxt.isdigit() and nxt in "01234567" and (octal_prefix == "" or nxt == "0"):
            start = i + 1 + len(octal_prefix)
            m = re.match(r"[0-7]{0,3}", text[start:])
            digits = m.group(0) if m else ""
            out.append(chr(int(digits or "0", 8)))
            i = start + len(digits)
        else:
            out.append("\\" + nxt)
            i += 2
    return "".join(out)


def printf(fmt: str, args: list[str]) -> tuple[str, list[str]]:
    """Format like printf(1): the format is reused while arguments remain. Returns (text, errors)."""
    errors: list[str] = []
    out: list[str] = []
    fmt_escaped = fmt
    args = list(args)
    while True:
        consumed = False
        pos = 0
        for m in _SPEC.finditer(fmt_escaped):
            out.append(_literal(fmt_escaped[pos:m.start()]))
            pos = m.end()
            flags, width, precision, conv = m.groups()
            if conv == "%":
                out.append("%")
                continue
            if width == "*":
                width = args.pop(0) if args else "0"
                consumed = True
            if precision == "*":
                precision = args.pop(0) if args else "0"
                consumed = True
            arg = args.pop(0) if args else None
            consumed = consumed or arg is not None
            spec = "%" + flags + (width or "") + (f".{precision}" if precision is not None else "")
            try:
                out.append(_convert(spec, conv, arg, errors))
            except StopOutput as stop:
                out.append(str(stop))
                return "".join(out), errors
        out.append(_literal(fmt_escaped[pos:]))
        if not args or not consumed:
            return "".join(out), errors


def _literal(text: str) -> str:
    return unescape(text, octal_prefix="")


def _convert(spec: str, conv: str, arg: str | None, errors: list[str]) -> str:
    if conv == "s":
        return (spec + "s") % (arg or "")
    if conv == "b":
        try:
            return (spec + "s") % unescape(arg or "")
        except StopOutput as stop:
            raise StopOutput((spec + "s") % str(stop)) from None
    if conv == "c":
        return (spec + "s") % ((arg or "")[:1])
    if conv in "diouxX":
        value = _number(arg, errors)
        return (spec + ("d" if conv in "iu" else conv)) % value
    value_f = _float(arg, errors)
    return (spec + conv) % value_f


def _number(arg: str | None, errors: list[str]) -> int:
    if not arg:
        return 0
    if arg[0] in "'\"" and len(arg) > 1:
        return ord(arg[1])
    try:
        return int(arg, 0) if not re.fullmatch(r"[-+]?0\d+", arg) else int(arg, 8)
    except ValueError:
        errors.append(f"invalid number '{arg}'")
        return 0


def _float(arg: str | None, errors: list[str]) -> float:
    try:
        return float(arg or 0)
    except ValueError:
        errors.append(f"invalid number '{arg}'")
        return 0.0


def expand_codes(fmt: str, expand: Callable[[str], str | None]) -> str:
    """Replace each ``%X`` in ``fmt`` by ``expand(X)``; a code it answers None for, and a trailing ``%``, stay."""
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%" or i + 1 >= len(fmt):
            out.append(c)
            i += 1
            continue
        code = fmt[i + 1]
        i += 2
        value = expand(code)
        out.append(value if value is not None else "%" + code)
    return "".join(out)
