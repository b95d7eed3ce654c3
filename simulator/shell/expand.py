"""Word expansion: parameters, command substitution, arithmetic, field splitting and globbing.

Quoting decides everything here, as in a real shell: an unquoted expansion is split on whitespace and
globbed, a quoted one stays one field, and a command substitution really runs its command (the harness's
injection-safety test depends on that being faithful in both directions).
"""

from __future__ import annotations

import ast
import fnmatch
import operator
import re
from typing import TYPE_CHECKING

from simulator.fs import FsError
from simulator.shell.parser import Arith, CmdSub, Lit, Param, Word
from simulator.shell.state import IO, ShellState

if TYPE_CHECKING:
    from simulator.shell.interpreter import Shell

_GLOB_CHARS = re.compile(r"[*?\[]")


class ExpansionError(Exception):
    """``${X?message}`` or bad arithmetic: the command is not run and the shell reports status 1/2."""


class _Field:
    __slots__ = ("globbable", "pattern", "quoted", "text")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.pattern: list[str] = []
        self.quoted = False
        self.globbable = False

    def add(self, text: str, quoted: bool) -> None:
        self.text.append(text)
        if quoted:
            self.quoted = True
            self.pattern.append(_glob_escape(text))
        else:
            self.pattern.append(text)
            if _GLOB_CHARS.search(text):
                self.globbable = True


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


async def expand_words(shell: Shell, words: tuple[Word, ...], st: ShellState, io: IO) -> list[str]:
    """Expand command words to argv: split unquoted expansions, glob, drop empty unquoted results."""
    argv: list[str] = []
    for word in words:
        literal = word.literal
        if literal is not None and not _GLOB_CHARS.search(literal):
            argv.append(literal)  # the common case: a plain word
            continue
        argv.extend(await _expand_fields(shell, word, st, io))
    return argv


async def expand_string(shell: Shell, word: Word, st: ShellState, io: IO) -> str:
    """Expand without splitting or globbing (assignments, redirection targets, ``case``)."""
    static = word.static
    if static is not None:
        return static
    out: list[str] = []
    for part in word.parts:
        if isinstance(part, Lit):
            out.append(part.text)
        else:
            value = await _expand_part(shell, part, st, io)
            out.append(" ".join(value) if isinstance(value, list) else value)
    return "".join(out)


async def _expand_fields(shell: Shell, word: Word, st: ShellState, io: IO) -> list[str]:
    fields: list[_Field] = []
    cur: _Field | None = None
    for part in word.parts:
        if isinstance(part, Lit):
            cur = cur or _Field()
            cur.add(part.text, part.quoted)
            continue
        value = await _expand_part(shell, part, st, io)
        if isinstance(value, list):  # "$@": one field per parameter
            for i, item in enumerate(value):
                if i:
                    fields.append(cur)  # type: ignore[arg-type]
                    cur = None
                cur = cur or _Field()
                cur.add(item, True)
            continue
        if part.quoted:
            cur = cur or _Field()
            cur.add(value, True)
            continue
        if not value:
            continue
        if value[0] in " \t\n" and cur is not None:
            fields.append(cur)
            cur = None
        for i, piece in enumerate(value.split()):
            if i and cur is not None:
                fields.append(cur)
                cur = None
            cur = cur or _Field()
            cur.add(piece, False)
        if value[-1] in " \t\n" and cur is not None:
            fields.append(cur)
            cur = None
    if cur is not None:
        fields.append(cur)
    out: list[str] = []
    for f in fields:
        text = "".join(f.text)
        if not text and not f.quoted:
            continue
        if f.globbable:
            matches = glob(shell, "".join(f.pattern), st.cwd)
            if matches:
                out.extend(matches)
                continue
        out.append(text)
    return out


async def _expand_part(shell: Shell, part: Param | CmdSub | Arith, st: ShellState, io: IO) -> str | list[str]:
    if isinstance(part, Param):
        return await _param(shell, part, st, io)
    if isinstance(part, CmdSub):
        return await shell.substitute(part.body, st, io)
    text = await expand_string(shell, part.expr, st, io)
    return str(arithmetic(text, st))


async def _param(shell: Shell, p: Param, st: ShellState, io: IO) -> str | list[str]:
    name = p.name
    value: str | None
    if name == "@" and p.quoted and not p.op:
        return list(st.params)
    if name == "?":
        value = str(st.status)
    elif name == "$":
        value = str(st.pid)
    elif name == "#":
        value = str(len(st.params))
    elif name in ("@", "*"):
        value = " ".join(st.params)
    elif name == "!":
        value = None if st.last_bg is None else str(st.last_bg)
    elif name == "-":
        value = ""
    elif name == "0":
        value = st.argv0
    elif name.isdigit():
        index = int(name)
        value = st.params[index - 1] if index <= len(st.params) else None
    else:
        value = st.vars.get(name)
    op = p.op
    if not op:
        return value or ""
    if op == "#":
        return str(len(value or ""))
    unset_or_empty = not value if op.startswith(":") else value is None
    base = op.lstrip(":")
    if base == "-":
        return await expand_string(shell, p.arg, st, io) if unset_or_empty and p.arg else (value or "")
    if base == "=":
        if unset_or_empty:
            value = await expand_string(shell, p.arg, st, io) if p.arg else ""
            st.vars[name] = value
        return value or ""
    if base == "+":
        return "" if unset_or_empty else (await expand_string(shell, p.arg, st, io) if p.arg else "")
    if base == "?":
        if unset_or_empty:
            message = await expand_string(shell, p.arg, st, io) if p.arg else ""
            raise ExpansionError(f"{name}: {message or 'parameter null or not set'}")
        return value or ""
    return value or ""


# -- globbing ---------------------------------------------------------------------------------------
def glob(shell: Shell, pattern: str, cwd: str) -> list[str]:
    """Match ``pattern`` against the device file system; sorted; [] when nothing matches."""
    fs = shell.device.fs
    absolute = pattern.startswith("/")
    parts = [p for p in pattern.split("/") if p]
    candidates: list[str] = ["/" if absolute else ""]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        nxt: list[str] = []
        for base in candidates:
            dir_path = base or cwd
            if not _GLOB_CHARS.search(part):
                name = _unescape(part)
                path = _join(base, name)
                if fs.exists(fs.normalize(path, cwd)):
                    nxt.append(path)
                continue
            try:
                entries = fs.listdir(fs.normalize(dir_path, cwd))
            except FsError:
                continue
            for name, info in entries:
                if name.startswith(".") and not part.startswith("."):
                    continue
                if fnmatch.fnmatchcase(name, part) and (last or info.is_dir):
                    nxt.append(_join(base, name))
        candidates = nxt
        if not candidates:
            return []
    return sorted(candidates)


def _unescape(part: str) -> str:
    return re.sub(r"\[([*?\[])\]", r"\1", part)


def _join(base: str, name: str) -> str:
    if not base:
        return name
    return base + name if base.endswith("/") else base + "/" + name


# -- arithmetic -------------------------------------------------------------------------------------
_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Mod: operator.mod,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_, ast.BitXor: operator.xor,
}
_CMPOPS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}


def arithmetic(text: str, st: ShellState) -> int:
    """Evaluate a ``$((...))`` expression over integers (C semantics for ``/`` and ``%``)."""
    source = text.replace("&&", " and ").replace("||", " or ")
    source = re.sub(r"!(?!=)", " not ", source)
    try:
        tree = ast.parse(source.strip() or "0", mode="eval")
        return _eval(tree.body, st)
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, RecursionError) as exc:
        raise ExpansionError(f"{text.strip()}: bad arithmetic expression") from exc


def _eval(node: ast.expr, st: ShellState) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Name):
        raw = st.vars.get(node.id, "") or "0"
        return int(raw, 0) if raw.strip().lstrip("-").isalnum() else 0
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, st)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return value
        if isinstance(node.op, ast.Not):
            return int(not value)
        if isinstance(node.op, ast.Invert):
            return ~value
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, st), _eval(node.right, st)
        if isinstance(node.op, (ast.Div, ast.FloorDiv)):
            quotient = abs(left) // abs(right)
            return quotient if (left >= 0) == (right >= 0) else -quotient
        if isinstance(node.op, ast.Mod):
            return left - right * _eval(ast.BinOp(ast.Constant(left), ast.Div(), ast.Constant(right)), st)
        fn = _BINOPS.get(type(node.op))
        if fn is not None:
            return int(fn(left, right))
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, st) for v in node.values]
        return int(all(values) if isinstance(node.op, ast.And) else any(values))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, st)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, st)
            fn = _CMPOPS.get(type(op))
            if fn is None or not fn(left, right):
                return 0
            left = right
        return 1
    if isinstance(node, ast.IfExp):
        return _eval(node.body, st) if _eval(node.test, st) else _eval(node.orelse, st)
    raise ValueError("unsupported arithmetic")
