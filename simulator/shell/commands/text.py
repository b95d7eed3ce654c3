"""Text filters (toybox): grep, head, tail, wc, sort, uniq, cut, tr; and seq, which scripts loop over.

``grep`` and ``head`` stream line by line, so ``logcat | grep TAG`` prints as lines arrive and
``... | head -1`` ends the pipeline early (the writer upstream then sees a closed pipe, status 141).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from simulator.fs import FsError
from simulator.shell.access import strerror
from simulator.shell.api import CommandContext, command
from simulator.shell.options import Options, UsageError, parse
from simulator.streams import ByteReader


async def _opts(ctx: CommandContext, flags: str, with_value: str = "", numeric: str = "") -> Options | None:
    try:
        return parse(ctx.args, flags, with_value, numeric=numeric)
    except UsageError as exc:
        await ctx.fail(str(exc))
        return None


async def iter_lines(reader: ByteReader) -> AsyncIterator[bytes]:
    """Lines (with their newline) as they arrive; the last may lack one."""
    buf = b""
    while chunk := await reader.read():
        buf += chunk
        if b"\n" not in chunk:
            continue
        *lines, buf = buf.split(b"\n")
        for line in lines:
            yield line + b"\n"
    if buf:
        yield buf


async def _source_lines(ctx: CommandContext, name: str) -> AsyncIterator[bytes]:
    """Lines of a file operand or of stdin (``-``); raises :class:`FsError` before the first line."""
    if name == "-":
        async for line in iter_lines(ctx.stdin):
            yield line
        return
    data = ctx.device.fs.read_file(ctx.path(name))
    for line in data.splitlines(keepends=True):
        yield line


async def _read_all(ctx: CommandContext, names: list[str]) -> tuple[bytes, int]:
    """Concatenated inputs and a status (1 if an operand could not be read, after printing why)."""
    data = bytearray()
    status = 0
    for name in names or ["-"]:
        if name == "-":
            while chunk := await ctx.stdin.read():
                data += chunk
            continue
        try:
            data += ctx.device.fs.read_file(ctx.path(name))
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
    return bytes(data), status


# -- grep -------------------------------------------------------------------------------------------
def bre_to_python(pattern: str) -> str:
    """A POSIX basic regular expression in Python syntax: ``\\(``/``\\)``/``\\{``/``\\|``/``\\+``/``\\?``
    are the operators, their bare forms are literal characters."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(nxt if nxt in "(){}|+?" else "\\" + nxt)
            i += 2
            continue
        if c in "(){}|+?":
            out.append("\\" + c)
        elif c == "[":  # copy a bracket expression unchanged
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] in ("]", "^") else i + 1)
            if end < 0:
                out.append("\\[")
            else:
                out.append(pattern[i:end + 1])
                i = end + 1
                continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _posix_classes(pattern: str) -> str:
    classes = {"[:digit:]": r"0-9", "[:alpha:]": r"a-zA-Z", "[:alnum:]": r"a-zA-Z0-9", "[:space:]": r"\s",
               "[:upper:]": r"A-Z", "[:lower:]": r"a-z", "[:xdigit:]": r"0-9A-Fa-f", "[:punct:]": r"!-/:-@\[-`{-~",
               "[:blank:]": r" \t"}
    for name, value in classes.items():
        pattern = pattern.replace(name, value)
    return pattern


@command("grep", "egrep", "fgrep")
async def grep(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "EFivcqolLnwxshHrRabIz", "emABC")
    if opts is None:
        return 2
    patterns = list(opts.all("e"))
    operands = list(opts.operands)
    if not patterns:
        if not operands:
            await ctx.err("usage: grep [-EFivcqolnwxsh] [-e PATTERN] PATTERN [FILE...]\n")
            return 2
        patterns = [operands.pop(0)]
    patterns = [p for pat in patterns for p in pat.split("\n")]
    flags = re.IGNORECASE if "i" in opts else 0
    fixed = "F" in opts or ctx.name == "fgrep"
    extended = "E" in opts or ctx.name == "egrep"
    sources = []
    for p in patterns:
        body = re.escape(p) if fixed else _posix_classes(p if extended else bre_to_python(p))
        if "w" in opts:
            body = rf"(?<!\w)(?:{body})(?!\w)"
        if "x" in opts:
            body = rf"^(?:{body})$"
        sources.append(body)
    try:
        regex = re.compile("|".join(f"(?:{s})" for s in sources).encode(errors="surrogateescape"), flags)
    except re.error as exc:
        return await ctx.fail(f"bad regex '{patterns[0]}': {exc}", 2)
    max_count = int(opts.value("m") or 0)
    names = operands or ["-"]
    show_names = ("H" in opts or len(names) > 1) and "h" not in opts
    matched_any = False
    status = 0
    for name in names:
        count = 0
        label = "(standard input)" if name == "-" else name
        try:
            lines = _source_lines(ctx, name)
            lineno = 0
            async for line in lines:
                lineno += 1
                text = line.rstrip(b"\n")
                found = regex.search(text) is not None
                if found == ("v" in opts):
                    continue
                count += 1
                matched_any = True
                if "q" in opts:
                    return 0
                if "l" in opts or "L" in opts:
                    break
                if "c" not in opts:
                    prefix = (f"{label}:" if show_names else "") + (f"{lineno}:" if "n" in opts else "")
                    if "o" in opts and "v" not in opts:
                        for m in regex.finditer(text):
                            if m.group(0):
                                await ctx.out(prefix.encode() + m.group(0) + b"\n")
                    else:
                        await ctx.out(prefix.encode() + text + b"\n")
                if max_count and count >= max_count:
                    break
        except FsError as exc:
            if "s" not in opts:
                await ctx.fail(f"{name}: {strerror(exc)}")
            status = 2
            continue
        if "c" in opts:
            await ctx.out((f"{label}:" if show_names else "") + f"{count}\n")
        if ("l" in opts and count) or ("L" in opts and not count):
            await ctx.out(f"{label}\n")
    if status:
        return status if not matched_any or "q" not in opts else 0
    return 0 if matched_any else 1


# -- head / tail ------------------------------------------------------------------------------------
def _count(value: str | None, default: int) -> int:
    if value is None:
        return default
    return int(value.lstrip("+-"))


@command("head")
async def head(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "qv", "nc", numeric="n")
    if opts is None:
        return 1
    try:
        lines = _count(opts.value("n"), 10)
        chars = _count(opts.value("c"), -1)
    except ValueError:
        return await ctx.fail(f"Invalid count '{opts.value('n') or opts.value('c')}'")
    names = opts.operands or ["-"]
    status = 0
    for i, name in enumerate(names):
        if len(names) > 1:
            await ctx.out(("\n" if i else "") + f"==> {name} <==\n")
        try:
            if chars >= 0:
                data, st = await _read_all(ctx, [name])
                await ctx.out(data[:chars])
                status = status or st
                continue
            left = lines
            if left <= 0:
                continue
            async for line in _source_lines(ctx, name):
                await ctx.out(line)
                left -= 1
                if left <= 0:
                    break
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
    return status


@command("tail")
async def tail(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "fFqv", "nc", numeric="n")
    if opts is None:
        return 1
    spec_n, spec_c = opts.value("n"), opts.value("c")
    try:
        lines = _count(spec_n, 10)
        chars = _count(spec_c, -1)
    except ValueError:
        return await ctx.fail(f"Invalid count '{spec_n or spec_c}'")
    names = opts.operands or ["-"]
    status = 0
    for i, name in enumerate(names):
        data, st = await _read_all(ctx, [name])
        if st:
            status = st
            continue
        if len(names) > 1:
            await ctx.out(("\n" if i else "") + f"==> {name} <==\n")
        if chars >= 0:
            from_start = bool(spec_c and spec_c.startswith("+"))
            await ctx.out(data[max(chars - 1, 0):] if from_start else (data[-chars:] if chars else b""))
            continue
        all_lines = data.splitlines(keepends=True)
        if spec_n and spec_n.startswith("+"):
            chosen = all_lines[max(lines - 1, 0):]
        else:
            chosen = all_lines[-lines:] if lines else []
        await ctx.out(b"".join(chosen))
    return status


# -- wc ---------------------------------------------------------------------------------------------
@command("wc")
async def wc(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "lcwmL")
    if opts is None:
        return 1
    fields = [f for f in "lwc" if f in opts or (f == "c" and "m" in opts)] or ["l", "w", "c"]
    names = opts.operands or ["-"]
    totals = dict.fromkeys("lwc", 0)
    status = 0
    rows: list[tuple[list[int], str]] = []
    for name in names:
        data, st = await _read_all(ctx, [name])
        if st:
            status = st
            continue
        counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
        for key in totals:
            totals[key] += counts[key]
        rows.append(([counts[f] for f in fields], "" if name == "-" else name))
    if len(names) > 1:
        rows.append(([totals[f] for f in fields], "total"))
    single = len(fields) == 1
    for values, label in rows:
        text = " ".join(str(v) if single else f"{v:7d}" for v in values)
        await ctx.out(text + (f" {label}" if label else "") + "\n")
    return status


# -- sort / uniq ------------------------------------------------------------------------------------
def _numeric_key(text: str) -> float:
    m = re.match(r"\s*[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?", text)
    return float(m.group(0)) if m else 0.0


def _key_range(spec: str) -> tuple[int, int | None]:
    """``-k 2`` / ``-k 2,3`` / ``-k2n``: fields counted from 1 (character offsets are ignored)."""
    m = re.fullmatch(r"(\d+)(?:\.\d+)?[a-zA-Z]*(?:,(\d+)(?:\.\d+)?[a-zA-Z]*)?", spec)
    if m is None:
        return 1, None
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


@command("sort")
async def sort(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "rnufbdghMsVzc", "ktTo")
    if opts is None:
        return 1
    data, status = await _read_all(ctx, opts.operands)
    lines = data.decode(errors="surrogateescape").splitlines()
    sep = opts.value("t")
    key_spec = opts.value("k")

    key_range = _key_range(key_spec) if key_spec else None

    def field_of(line: str) -> str:
        if key_range is None:
            return line
        start, end = key_range
        parts = line.split(sep) if sep else line.split()
        return (sep or " ").join(parts[start - 1:end] if end else parts[start - 1:])

    def key(line: str) -> tuple:
        text = field_of(line)
        if "f" in opts:
            text = text.lower()
        if "n" in opts or "g" in opts:
            return (_numeric_key(text), line)
        return (text, line) if key_spec else (text,)

    lines.sort(key=key, reverse="r" in opts)
    if "u" in opts:
        seen: set = set()
        unique = []
        for line in lines:
            k = key(line)[0]
            if k not in seen:
                seen.add(k)
                unique.append(line)
        lines = unique
    if lines:
        await ctx.out(("\n".join(lines) + "\n").encode(errors="surrogateescape"))
    return status


@command("uniq")
async def uniq(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "cdui")
    if opts is None:
        return 1
    data, status = await _read_all(ctx, opts.operands[:1])
    groups: list[list[str]] = []
    for line in data.decode(errors="surrogateescape").splitlines():
        same = groups and ((groups[-1][0].lower() == line.lower()) if "i" in opts else groups[-1][0] == line)
        if same:
            groups[-1].append(line)
        else:
            groups.append([line])
    out = []
    for group in groups:
        if ("d" in opts and len(group) < 2) or ("u" in opts and len(group) > 1):
            continue
        out.append(f"{len(group):7d} {group[0]}" if "c" in opts else group[0])
    if out:
        await ctx.out(("\n".join(out) + "\n").encode(errors="surrogateescape"))
    return status


# -- cut / tr ---------------------------------------------------------------------------------------
def _ranges(spec: str) -> list[tuple[int, int | None]]:
    ranges: list[tuple[int, int | None]] = []
    for item in spec.split(","):
        start, dash, end = item.partition("-")
        lo = int(start) if start else 1
        hi = (int(end) if end else None) if dash else lo
        if lo < 1:
            raise ValueError(item)
        ranges.append((lo, hi))
    return ranges


def _pick(items: list[str], ranges: list[tuple[int, int | None]]) -> list[str]:
    return [item for i, item in enumerate(items, 1) if any(lo <= i and (hi is None or i <= hi)
                                                            for lo, hi in ranges)]


@command("cut")
async def cut(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "sn", "dfcb")
    if opts is None:
        return 1
    spec = opts.value("f") or opts.value("c") or opts.value("b")
    if spec is None:
        return await ctx.fail("Needs -fcb")
    try:
        ranges = _ranges(spec)
    except ValueError:
        return await ctx.fail(f"bad list '{spec}'")
    delim = opts.value("d") or "\t"
    data, status = await _read_all(ctx, opts.operands)
    out = []
    for line in data.decode(errors="surrogateescape").splitlines():
        if opts.value("f") is not None:
            if delim not in line:
                if "s" not in opts:
                    out.append(line)
                continue
            out.append(delim.join(_pick(line.split(delim), ranges)))
        else:
            out.append("".join(_pick(list(line), ranges)))
    if out:
        await ctx.out(("\n".join(out) + "\n").encode(errors="surrogateescape"))
    return status


def _expand_set(spec: str) -> str:
    spec = spec.replace("[:upper:]", "A-Z").replace("[:lower:]", "a-z").replace("[:digit:]", "0-9")
    spec = spec.replace("[:space:]", " \t\n\r\f\v").replace("[:alpha:]", "a-zA-Z").replace("[:alnum:]", "a-zA-Z0-9")
    spec = spec.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r").replace("\\\\", "\\")
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


@command("tr")
async def tr(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "dscC")
    if opts is None:
        return 1
    if not opts.operands or (len(opts.operands) < 2 and "d" not in opts and "s" not in opts):
        return await ctx.fail("Needs 2 arguments" if "d" not in opts else "Needs 1 argument")
    set1 = _expand_set(opts.operands[0])
    set2 = _expand_set(opts.operands[1]) if len(opts.operands) > 1 else ""
    data, status = await _read_all(ctx, [])
    text = data.decode(errors="surrogateescape")
    if "d" in opts:
        text = text.translate({ord(c): None for c in set1})
    elif set2:
        set2 = set2 + set2[-1] * max(0, len(set1) - len(set2))
        text = text.translate({ord(a): b for a, b in zip(set1, set2, strict=False)})
    if "s" in opts:
        squeeze = set2 or set1
        text = re.sub("([" + re.escape(squeeze) + "])\\1+", r"\1", text) if squeeze else text
    await ctx.out(text.encode(errors="surrogateescape"))
    return status


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@command("seq")
async def seq(ctx: CommandContext) -> int:
    """``seq [-w] [-s SEP] [FIRST [INC]] LAST`` (negative numbers are operands, as in toybox)."""
    args, sep, width = list(ctx.args), "\n", False
    while args and args[0].startswith("-") and _number(args[0]) is None:
        flag = args.pop(0)
        if flag == "-w":
            width = True
        elif flag == "-s" and args:
            sep = args.pop(0)
        else:
            return await ctx.fail(f"Unknown option '{flag}'" if flag != "-s" else "Missing argument to -s")
    numbers = [_number(a) for a in args]
    if not 1 <= len(args) <= 3 or None in numbers:
        bad = next((a for a, n in zip(args, numbers, strict=True) if n is None), None)
        return await ctx.fail(f"not a number: '{bad}'" if bad is not None else "Needs 1-3 arguments")
    given = [n for n in numbers if n is not None]
    first, inc, last = ([1.0, 1.0, *given] if len(given) == 1 else
                        [given[0], 1.0, given[1]] if len(given) == 2 else given)
    if inc == 0:
        return await ctx.fail("increment cannot be zero")  # toybox would loop for ever; nobody wants that here
    integral = all(float(n).is_integer() for n in (first, inc, last)) and not any("." in a for a in args)
    values = []
    value = first
    while (inc > 0 and value <= last) or (inc < 0 and value >= last):
        values.append(str(int(value)) if integral else f"{value:g}")
        value = first + inc * len(values)
    if width and values:
        size = max(len(v) for v in values)
        values = [v.zfill(size) if not v.startswith("-") else "-" + v[1:].zfill(size - 1) for v in values]
    if values:
        await ctx.out(sep.join(values) + "\n")
    return 0
