"""``sed`` (toybox subset): ``-n``, ``-e``, ``-E``/``-r``, ``-i``; commands ``s///[gpI N]``, ``d``, ``p``,
``q``, ``y``, ``=``; addresses ``N``, ``$``, ``/RE/`` and ranges ``A,B``; ``!`` negation; ``;`` or newlines
between commands. Enough for the one-liners lab scripts pipe ``getprop``/``dumpsys`` output through."""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.fs import FsError
from simulator.shell.access import check_write, strerror
from simulator.shell.api import CommandContext, command
from simulator.shell.commands.text import _posix_classes, bre_to_python


class SedError(Exception):
    pass


@dataclass
class Address:
    line: int | None = None
    last: bool = False
    regex: re.Pattern[str] | None = None

    def hit(self, number: int, is_last: bool, text: str) -> bool:
        if self.last:
            return is_last
        if self.line is not None:
            return number == self.line
        assert self.regex is not None
        return self.regex.search(text) is not None


@dataclass
class Cmd:
    name: str
    start: Address | None = None
    end: Address | None = None
    negate: bool = False
    regex: re.Pattern[str] | None = None
    replacement: str = ""
    count: int = 1  # 0 = every match (g)
    print_after: bool = False
    translate: dict[int, str] | None = None
    active: bool = False  # inside a range


def _compile(pattern: str, extended: bool, flags: int = 0) -> re.Pattern[str]:
    pattern = _posix_classes(pattern)
    try:
        return re.compile(pattern if extended else bre_to_python(pattern), flags)
    except re.error as exc:
        raise SedError(f"bad regex '{pattern}': {exc}") from exc


def _delimited(text: str, i: int, delim: str) -> tuple[str, int]:
    out = []
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            out.append(text[i + 1] if text[i + 1] == delim else text[i:i + 2])
            i += 2
            continue
        if c == delim:
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise SedError(f"unterminated {delim}")


def _address(text: str, i: int, extended: bool) -> tuple[Address | None, int]:
    if i < len(text) and text[i].isdigit():
        j = i
        while j < len(text) and text[j].isdigit():
            j += 1
        return Address(line=int(text[i:j])), j
    if i < len(text) and text[i] == "$":
        return Address(last=True), i + 1
    if i < len(text) and text[i] in "/\\":
        delim = "/"
        if text[i] == "\\":
            delim, i = text[i + 1], i + 1
        pattern, j = _delimited(text, i + 1, delim)
        return Address(regex=_compile(pattern, extended)), j
    return None, i


def parse_script(script: str, extended: bool) -> list[Cmd]:
    cmds = []
    i = 0
    while i < len(script):
        while i < len(script) and script[i] in " \t\n;":
            i += 1
        if i >= len(script):
            break
        start, i = _address(script, i, extended)
        end = None
        if start is not None and i < len(script) and script[i] == ",":
            end, i = _address(script, i + 1, extended)
        negate = False
        while i < len(script) and script[i] in " !":
            negate = negate or script[i] == "!"
            i += 1
        if i >= len(script):
            raise SedError("missing command")
        name = script[i]
        cmd = Cmd(name, start, end, negate)
        i += 1
        if name == "s":
            delim = script[i]
            pattern, i = _delimited(script, i + 1, delim)
            cmd.replacement, i = _delimited(script, i, delim)
            flags = 0
            while i < len(script) and script[i] not in ";\n}":
                c = script[i]
                if c == "g":
                    cmd.count = 0
                elif c == "p":
                    cmd.print_after = True
                elif c in "iI":
                    flags |= re.IGNORECASE
                elif c.isdigit():
                    cmd.count = int(c)
                elif c != " ":
                    raise SedError(f"bad option '{c}'")
                i += 1
            cmd.regex = _compile(pattern, extended, flags)
        elif name == "y":
            delim = script[i]
            src, i = _delimited(script, i + 1, delim)
            dst, i = _delimited(script, i, delim)
            if len(src) != len(dst):
                raise SedError("y: strings are different lengths")
            cmd.translate = {ord(a): b for a, b in zip(src, dst, strict=True)}
        elif name not in "dpqQ=":
            raise SedError(f"unsupported command '{name}'")
        cmds.append(cmd)
    return cmds


def _selected(cmd: Cmd, number: int, is_last: bool, text: str) -> bool:
    if cmd.start is None:
        hit = True
    elif cmd.end is None:
        hit = cmd.start.hit(number, is_last, text)
    elif cmd.active:
        hit = True
        end = cmd.end
        if (end.line is not None and number >= end.line) or end.hit(number, is_last, text):
            cmd.active = False
    else:
        hit = cmd.start.hit(number, is_last, text)
        if hit:
            end = cmd.end
            cmd.active = not (end.line is not None and end.line <= number)
    return hit != cmd.negate


def _replacement(template: str, match: re.Match[str]) -> str:
    out = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template):
            nxt = template[i + 1]
            out.append(match.group(int(nxt)) or "" if nxt.isdigit() else "\n" if nxt == "n" else nxt)
            i += 2
            continue
        out.append(match.group(0) if c == "&" else c)
        i += 1
    return "".join(out)


def run_script(cmds: list[Cmd], lines: list[str], quiet: bool) -> list[str]:
    out: list[str] = []
    for number, line in enumerate(lines, start=1):
        is_last = number == len(lines)
        text = line
        deleted = False
        quit_now = False
        for cmd in cmds:
            if not _selected(cmd, number, is_last, text):
                continue
            if cmd.name == "s":
                assert cmd.regex is not None
                n = 0

                def sub(m: re.Match[str], cmd: Cmd = cmd) -> str:
                    nonlocal n
                    n += 1
                    if cmd.count == 0 or n == cmd.count:
                        return _replacement(cmd.replacement, m)
                    return m.group(0)

                new = cmd.regex.sub(sub, text)
                changed = new != text or (n and (cmd.count == 0 or n >= cmd.count))
                text = new
                if changed and cmd.print_after:
                    out.append(text)
            elif cmd.name == "y":
                text = text.translate(cmd.translate or {})
            elif cmd.name == "d":
                deleted = True
                break
            elif cmd.name == "p":
                out.append(text)
            elif cmd.name == "=":
                out.append(str(number))
            elif cmd.name in "qQ":
                quit_now = True
                if cmd.name == "Q":
                    deleted = True
                break
        if not deleted and not quiet:
            out.append(text)
        if quit_now:
            break
    return out


@command("sed")
async def sed(ctx: CommandContext) -> int:
    args = list(ctx.args)
    quiet = extended = in_place = False
    scripts: list[str] = []
    files: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-e" and i + 1 < len(args):
            scripts.append(args[i + 1])
            i += 2
            continue
        if arg.startswith("-") and len(arg) > 1 and arg != "-":
            for flag in arg[1:]:
                if flag == "n":
                    quiet = True
                elif flag in "Er":
                    extended = True
                elif flag == "i":
                    in_place = True
                elif flag != "s":
                    return await ctx.fail(f"Unknown option '{flag}'")
        elif not scripts and not files and not any(a == "-e" for a in args):
            scripts.append(arg)
        else:
            files.append(arg)
        i += 1
    if not scripts:
        await ctx.err("usage: sed [-inrsE] [-e SCRIPT]...|SCRIPT [FILE...]\n")
        return 1
    try:
        cmds = parse_script("\n".join(scripts), extended)
    except SedError as exc:
        return await ctx.fail(str(exc))
    fs = ctx.device.fs
    if in_place:
        status = 0
        for name in files:
            path = ctx.path(name)
            try:
                text = fs.read_file(path).decode(errors="surrogateescape")
                check_write(fs, path, ctx.uid)
                result = run_script(cmds, text.splitlines(), quiet)
                fs.write_file(path, ("\n".join(result) + ("\n" if result else "")).encode(errors="surrogateescape"))
            except FsError as exc:
                status = await ctx.fail(f"{name}: {strerror(exc)}")
        return status
    chunks = []
    status = 0
    if not files:
        while chunk := await ctx.stdin.read(65536):
            chunks.append(chunk)
    for name in files:
        try:
            chunks.append(ctx.device.fs.read_file(ctx.path(name)) if name != "-" else b"")
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
    text = b"".join(chunks).decode(errors="surrogateescape")
    result = run_script(cmds, text.splitlines(), quiet)
    if result:
        await ctx.out(("\n".join(result) + "\n").encode(errors="surrogateescape"))
    return status
