"""``awk`` (a small POSIX subset, as toybox/one-true-awk run the one-liners lab scripts use).

Supported: ``-F SEP``, ``-v NAME=VALUE``; ``BEGIN``/``END``/``/re/``/expression patterns; actions with
``print`` (``,`` joins with OFS, ``>`` redirection not supported), ``printf``, assignments (``=``, ``+=``, ``-=``,
``*=``, ``/=``, ``++``, ``--``), ``if``/``else``, ``next``, ``exit``, blocks; expressions with fields ``$N``,
``NR``/``NF``/``FS``/``OFS``, arithmetic, comparison, ``~``/``!~``, ``&&``/``||``/``!``, concatenation,
``length``, ``substr``, ``index``, ``tolower``, ``toupper``, ``int``, ``sprintf``, associative arrays with
``for (k in a)``. Anything else is a syntax error naming the token, never a silent wrong answer.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.fs import FsError
from simulator.shell.access import strerror
from simulator.shell.api import CommandContext, command
from simulator.shell.printf import printf as _printf

TOKEN = re.compile(r"""
    (?P<ws>[ \t]+|\\\n|\#[^\n]*) |
    (?P<nl>[\n;]) |
    (?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+) |
    (?P<str>"(?:[^"\\]|\\.)*") |
    (?P<name>[A-Za-z_][A-Za-z_0-9]*) |
    (?P<op>\+\+|--|\+=|-=|\*=|%=|==|!=|<=|>=|&&|\|\||!~|[-+*%<>=!~$(){},\[\]?:])
""", re.X)


class AwkError(Exception):
    pass


class _Next(Exception):
    pass


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def tokenize(src: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(src):
        if src[i] == "/":
            prev = tokens[-1] if tokens else ("nl", "")
            if prev[0] in ("num", "str", "name") or prev[1] in (")", "]", "$"):  # division
                op = "/=" if src.startswith("/=", i) else "/"
                tokens.append(("op", op))
                i += len(op)
                continue
            j = i + 1
            while j < len(src) and src[j] != "/":
                j += 2 if src[j] == "\\" else 1
            if j >= len(src):
                raise AwkError("unterminated regex")
            tokens.append(("re", src[i + 1:j]))
            i = j + 1
            continue
        m = TOKEN.match(src, i)
        if m is None:
            raise AwkError(f"syntax error at '{src[i:i + 10]}'")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append((kind, m.group(0)))
        i = m.end()
    tokens.append(("eof", ""))
    return tokens


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "/": "/"}.get(m.group(1),
                                                                                                 "\\" + m.group(1)),
                  text)


class Parser:
    """Recursive descent to a tuple tree: ('num', v), ('str', s), ('re', r), ('field', e), ('var', n), ..."""

    def __init__(self, src: str) -> None:
        self.toks = tokenize(src)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        return self.toks[self.i + offset]

    def take(self, text: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if text is not None and tok[1] != text:
            raise AwkError(f"syntax error: expected '{text}' at '{tok[1] or 'end'}'")
        self.i += 1
        return tok

    def skip_nl(self) -> None:
        while self.peek()[0] == "nl":
            self.i += 1

    def program(self) -> list[tuple[Any, Any]]:
        rules = []
        self.skip_nl()
        while self.peek()[0] != "eof":
            if self.peek()[1] in ("BEGIN", "END"):
                pattern: Any = self.take()[1]
            elif self.peek()[1] == "{":
                pattern = None
            else:
                pattern = self.expr()
            self.skip_nl()
            action = self.block() if self.peek()[1] == "{" else None
            rules.append((pattern, action))
            self.skip_nl()
        return rules

    def block(self) -> list[Any]:
        self.take("{")
        stmts = []
        self.skip_nl()
        while self.peek()[1] != "}":
            stmts.append(self.statement())
            self.skip_nl()
        self.take("}")
        return stmts

    def simple_or_block(self) -> list[Any]:
        self.skip_nl()
        if self.peek()[1] == "{":
            return self.block()
        return [self.statement()]

    def statement(self) -> Any:
        text = self.peek()[1]
        if text == "{":
            return ("block", self.block())
        if text == "if":
            self.take()
            self.take("(")
            cond = self.expr()
            self.take(")")
            then = self.simple_or_block()
            save = self.i
            self.skip_nl()
            other = None
            if self.peek()[1] == "else":
                self.take()
                other = self.simple_or_block()
            else:
                self.i = save
            return ("if", cond, then, other)
        if text == "for" and self.peek(1)[1] == "(" and self.peek(3)[1] == "in":
            self.take()
            self.take("(")
            var = self.take()[1]
            self.take("in")
            arr = self.take()[1]
            self.take(")")
            return ("forin", var, arr, self.simple_or_block())
        if text in ("next", "exit"):
            self.take()
            value = None
            if text == "exit" and self.peek()[0] not in ("nl", "eof") and self.peek()[1] != "}":
                value = self.expr()
            return (text, value)
        if text in ("print", "printf"):
            self.take()
            args = []
            if self.peek()[0] not in ("nl", "eof") and self.peek()[1] != "}":
                parens = self.peek()[1] == "("
                args = self.expr_list(no_gt=True)
                if parens and len(args) == 1 and isinstance(args[0], tuple) and args[0][0] == "group":
                    args = list(args[0][1])
            if self.peek()[1] == ">":
                raise AwkError("print redirection is not supported")
            return (text, args)
        return ("expr", self.expr())

    def expr_list(self, no_gt: bool = False) -> list[Any]:
        items = [self.expr(no_gt)]
        while self.peek()[1] == ",":
            self.take()
            self.skip_nl()
            items.append(self.expr(no_gt))
        return items

    def expr(self, no_gt: bool = False) -> Any:
        return self.ternary(no_gt)

    def ternary(self, no_gt: bool) -> Any:
        cond = self.assign(no_gt)
        if self.peek()[1] == "?":
            self.take()
            a = self.ternary(no_gt)
            self.take(":")
            b = self.ternary(no_gt)
            return ("?:", cond, a, b)
        return cond

    def assign(self, no_gt: bool) -> Any:
        left = self.or_(no_gt)
        if self.peek()[1] in ("=", "+=", "-=", "*=", "/=", "%=") and left[0] in ("var", "field", "index"):
            op = self.take()[1]
            return ("assign", op, left, self.assign(no_gt))
        return left

    def or_(self, no_gt: bool) -> Any:
        left = self.and_(no_gt)
        while self.peek()[1] == "||":
            self.take()
            self.skip_nl()
            left = ("||", left, self.and_(no_gt))
        return left

    def and_(self, no_gt: bool) -> Any:
        left = self.match(no_gt)
        while self.peek()[1] == "&&":
            self.take()
            self.skip_nl()
            left = ("&&", left, self.match(no_gt))
        return left

    def match(self, no_gt: bool) -> Any:
        left = self.compare(no_gt)
        while self.peek()[1] in ("~", "!~"):
            op = self.take()[1]
            left = (op, left, self.compare(no_gt))
        return left

    def compare(self, no_gt: bool) -> Any:
        left = self.concat(no_gt)
        ops = ("<", "<=", "==", "!=", ">=") if no_gt else ("<", "<=", "==", "!=", ">=", ">")
        if self.peek()[1] in ops:
            op = self.take()[1]
            return ("cmp", op, left, self.concat(no_gt))
        return left

    def concat(self, no_gt: bool) -> Any:
        left = self.additive()
        while True:
            kind, text = self.peek()
            if (kind in ("num", "str", "name", "re") and text not in ("in", "else")) or text in ("$", "(", "!"):
                left = ("concat", left, self.additive())
            else:
                return left

    def additive(self) -> Any:
        left = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = ("arith", op, left, self.term())
        return left

    def term(self) -> Any:
        left = self.unary()
        while self.peek()[1] in ("*", "/", "%"):
            op = self.take()[1]
            left = ("arith", op, left, self.unary())
        return left

    def unary(self) -> Any:
        text = self.peek()[1]
        if text == "!":
            self.take()
            return ("!", self.unary())
        if text == "-":
            self.take()
            return ("arith", "-", ("num", 0.0), self.unary())
        if text == "+":
            self.take()
            return ("arith", "+", ("num", 0.0), self.unary())
        if text in ("++", "--"):
            self.take()
            target = self.postfix()
            return ("assign", "+=" if text == "++" else "-=", target, ("num", 1.0))
        return self.postfix()

    def postfix(self) -> Any:
        node = self.primary()
        if self.peek()[1] in ("++", "--") and node[0] in ("var", "field", "index"):
            op = self.take()[1]
            return ("post", op, node)
        return node

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return ("num", float(text))
        if kind == "str":
            return ("str", _unescape(text[1:-1]))
        if kind == "re":
            return ("re", text)
        if text == "$":
            return ("field", self.primary())
        if text == "(":
            items = self.expr_list()
            self.take(")")
            return items[0] if len(items) == 1 else ("group", items)
        if kind == "name":
            if self.peek()[1] == "(" and text in FUNCTIONS:
                self.take("(")
                args = self.expr_list() if self.peek()[1] != ")" else []
                self.take(")")
                return ("call", text, args)
            if text == "length":
                return ("call", "length", [])
            if self.peek()[1] == "[":
                self.take()
                key = self.expr_list()
                self.take("]")
                return ("index", text, key)
            return ("var", text)
        raise AwkError(f"syntax error at '{text or 'end of program'}'")


FUNCTIONS = {"length", "substr", "index", "tolower", "toupper", "int", "sprintf", "split", "sub", "gsub",
             "match"}


def format_printf(fmt: str, args: list[str]) -> str:
    """awk's printf: one pass of the format (printf(1) would repeat it while arguments remain)."""
    text, _errors = _printf(fmt, args[: fmt.count("%") - 2 * fmt.count("%%")] if "%" in fmt else [])
    return text


def _num(value: Any) -> float:
    if isinstance(value, float):
        return value
    m = re.match(r"\s*[-+]?(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)", str(value))
    return float(m.group(0)) if m else 0.0


def _str(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value == int(value) and abs(value) < 1e16 else f"{value:.6g}"
    return str(value)


def _looks_numeric(value: Any) -> bool:
    return isinstance(value, float) or re.fullmatch(r"\s*[-+]?(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)\s*", str(value)) \
        is not None


class Interp:
    def __init__(self, rules: list[tuple[Any, Any]], variables: dict[str, Any]) -> None:
        self.rules = rules
        self.vars: dict[str, Any] = {"FS": " ", "OFS": " ", "ORS": "\n", "NR": 0.0, "NF": 0.0, "RS": "\n",
                                     "SUBSEP": "\x1c"}
        self.vars.update(variables)
        self.arrays: dict[str, dict[str, Any]] = {}
        self.fields: list[str] = [""]
        self.out: list[str] = []

    def set_record(self, line: str) -> None:
        fs = _str(self.vars["FS"])
        if fs == " ":
            parts = line.split()
        elif len(fs) == 1 and fs != "\\":
            parts = line.split(fs) if line else []
        else:
            parts = re.split(fs, line) if line else []
        self.fields = [line, *parts]
        self.vars["NF"] = float(len(parts))

    def get_field(self, n: int) -> str:
        return self.fields[n] if 0 <= n < len(self.fields) else ""

    def set_field(self, n: int, value: str) -> None:
        if n == 0:
            self.set_record(value)
            return
        while len(self.fields) <= n:
            self.fields.append("")
        self.fields[n] = value
        self.vars["NF"] = float(len(self.fields) - 1)
        self.fields[0] = _str(self.vars["OFS"]).join(self.fields[1:])

    def lvalue_get(self, node: Any) -> Any:
        if node[0] == "var":
            return self.vars.get(node[1], "")
        if node[0] == "field":
            return self.get_field(int(_num(self.eval(node[1]))))
        key = _str(self.vars["SUBSEP"]).join(_str(self.eval(k)) for k in node[2])
        return self.arrays.setdefault(node[1], {}).get(key, "")

    def lvalue_set(self, node: Any, value: Any) -> None:
        if node[0] == "var":
            self.vars[node[1]] = value
        elif node[0] == "field":
            self.set_field(int(_num(self.eval(node[1]))), _str(value))
        else:
            key = _str(self.vars["SUBSEP"]).join(_str(self.eval(k)) for k in node[2])
            self.arrays.setdefault(node[1], {})[key] = value

    def truth(self, value: Any) -> bool:
        if isinstance(value, float):
            return value != 0
        return value != "" if not _looks_numeric(value) else _num(value) != 0

    def eval(self, node: Any) -> Any:
        kind = node[0]
        if kind in ("num", "str"):
            return node[1]
        if kind == "re":
            return 1.0 if re.search(node[1], self.fields[0]) else 0.0
        if kind in ("var", "field", "index"):
            return self.lvalue_get(node)
        if kind == "group":
            return _str(self.vars["SUBSEP"]).join(_str(self.eval(n)) for n in node[1])
        if kind == "assign":
            op, target, value = node[1], node[2], self.eval(node[3])
            if op != "=":
                current = _num(self.lvalue_get(target))
                value = self._arith(op[0], current, _num(value))
            self.lvalue_set(target, value)
            return value
        if kind == "post":
            old = _num(self.lvalue_get(node[2]))
            self.lvalue_set(node[2], old + (1 if node[1] == "++" else -1))
            return old
        if kind == "arith":
            return self._arith(node[1], _num(self.eval(node[2])), _num(self.eval(node[3])))
        if kind == "concat":
            return _str(self.eval(node[1])) + _str(self.eval(node[2]))
        if kind == "cmp":
            a, b = self.eval(node[2]), self.eval(node[3])
            if _looks_numeric(a) and _looks_numeric(b):
                a, b = _num(a), _num(b)
            else:
                a, b = _str(a), _str(b)
            return 1.0 if {"<": a < b, "<=": a <= b, "==": a == b, "!=": a != b, ">=": a >= b,
                           ">": a > b}[node[1]] else 0.0
        if kind in ("~", "!~"):
            pattern = node[2][1] if node[2][0] == "re" else _str(self.eval(node[2]))
            hit = re.search(pattern, _str(self.eval(node[1]))) is not None
            return 1.0 if hit == (kind == "~") else 0.0
        if kind == "&&":
            return 1.0 if self.truth(self.eval(node[1])) and self.truth(self.eval(node[2])) else 0.0
        if kind == "||":
            return 1.0 if self.truth(self.eval(node[1])) or self.truth(self.eval(node[2])) else 0.0
        if kind == "!":
            return 0.0 if self.truth(self.eval(node[1])) else 1.0
        if kind == "?:":
            return self.eval(node[2]) if self.truth(self.eval(node[1])) else self.eval(node[3])
        if kind == "call":
            return self.call(node[1], node[2])
        raise AwkError(f"cannot evaluate {kind}")

    @staticmethod
    def _arith(op: str, a: float, b: float) -> float:
        if op in "/%" and b == 0:
            raise AwkError("division by zero")
        return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else 0.0,
                "%": a - b * int(a / b) if b else 0.0}[op]

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "length":
            if args and args[0][0] == "var" and args[0][1] in self.arrays:
                return float(len(self.arrays[args[0][1]]))
            return float(len(_str(self.eval(args[0])) if args else self.fields[0]))
        if name in ("sub", "gsub"):
            pattern = args[0][1] if args[0][0] == "re" else _str(self.eval(args[0]))
            repl = _str(self.eval(args[1])).replace("\\&", "\0").replace("&", "\\g<0>").replace("\0", "&")
            target = args[2] if len(args) > 2 else ("field", ("num", 0.0))
            new, count = re.subn(pattern, repl, _str(self.lvalue_get(target)), count=1 if name == "sub" else 0)
            self.lvalue_set(target, new)
            return float(count)
        values = [self.eval(a) for a in args]
        if name == "substr":
            text = _str(values[0])
            start = round(_num(values[1])) if len(values) > 1 else 1
            length = round(_num(values[2])) if len(values) > 2 else len(text)
            begin = max(start, 1)
            end = start + length
            return text[begin - 1:max(begin - 1, end - 1)]
        if name == "index":
            return float(_str(values[0]).find(_str(values[1])) + 1)
        if name == "tolower":
            return _str(values[0]).lower()
        if name == "toupper":
            return _str(values[0]).upper()
        if name == "int":
            return float(int(_num(values[0])))
        if name == "sprintf":
            return format_printf(_str(values[0]), [_str(v) for v in values[1:]])
        if name == "split":
            sep = _str(values[2]) if len(values) > 2 else _str(self.vars["FS"])
            text = _str(values[0])
            parts = text.split() if sep == " " else re.split(sep, text) if text else []
            self.arrays[args[1][1]] = {str(i + 1): p for i, p in enumerate(parts)}
            return float(len(parts))
        if name == "match":
            m = re.search(args[1][1] if args[1][0] == "re" else _str(values[1]), _str(values[0]))
            self.vars["RSTART"], self.vars["RLENGTH"] = (float(m.start() + 1), float(len(m.group(0)))) if m \
                else (0.0, -1.0)
            return self.vars["RSTART"]
        raise AwkError(f"function {name} never defined")

    def run(self, stmts: list[Any]) -> None:
        for stmt in stmts:
            kind = stmt[0]
            if kind == "expr":
                self.eval(stmt[1])
            elif kind == "print":
                values = [self.eval(a) for a in stmt[1]] or [self.fields[0]]
                self.out.append(_str(self.vars["OFS"]).join(_str(v) for v in values) + _str(self.vars["ORS"]))
            elif kind == "printf":
                values = [self.eval(a) for a in stmt[1]]
                if not values:
                    raise AwkError("printf: no format")
                self.out.append(format_printf(_str(values[0]), [_str(v) for v in values[1:]]))
            elif kind == "block":
                self.run(stmt[1])
            elif kind == "if":
                if self.truth(self.eval(stmt[1])):
                    self.run(stmt[2])
                elif stmt[3] is not None:
                    self.run(stmt[3])
            elif kind == "forin":
                for key in list(self.arrays.get(stmt[2], {})):
                    self.vars[stmt[1]] = key
                    self.run(stmt[3])
            elif kind == "next":
                raise _Next
            elif kind == "exit":
                raise _Exit(int(_num(self.eval(stmt[1]))) if stmt[1] is not None else 0)

    def main(self, lines: list[str]) -> int:
        status = 0
        try:
            for pattern, action in self.rules:
                if pattern == "BEGIN":
                    self.run(action or [])
            for line in lines:
                self.vars["NR"] = _num(self.vars["NR"]) + 1
                self.set_record(line)
                try:
                    for pattern, action in self.rules:
                        if pattern in ("BEGIN", "END"):
                            continue
                        if pattern is None or self.truth(self.eval(pattern)):
                            self.run(action if action is not None else [("print", [])])
                except _Next:
                    continue
        except _Exit as stop:
            status = stop.status
        try:
            for pattern, action in self.rules:
                if pattern == "END":
                    self.run(action or [])
        except _Exit as stop:
            status = stop.status
        return status


@command("awk")
async def awk(ctx: CommandContext) -> int:
    args = list(ctx.args)
    variables: dict[str, Any] = {}
    program = None
    files = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-F"):
            value = arg[2:] or (args[i + 1] if i + 1 < len(args) else "")
            i += 0 if arg[2:] else 1
            variables["FS"] = "\t" if value == "t" else _unescape(value)
        elif arg == "-v" and i + 1 < len(args):
            name, _, value = args[i + 1].partition("=")
            variables[name] = _unescape(value)
            i += 1
        elif program is None:
            program = arg
        else:
            files.append(arg)
        i += 1
    if program is None:
        await ctx.err("usage: awk [-F sepstring] [-v assignment]... program [argument...]\n")
        return 2
    try:
        rules = Parser(program).program()
    except (AwkError, IndexError) as exc:
        await ctx.err(f"awk: {exc}\n source line number 1\n")
        return 2
    chunks = []
    if not files:
        while chunk := await ctx.stdin.read(65536):
            chunks.append(chunk)
    for name in files:
        try:
            chunks.append(ctx.device.fs.read_file(ctx.path(name)))
        except FsError as exc:
            await ctx.err(f"awk: can't open file {name}: {strerror(exc)}\n")
            return 2
    lines = b"".join(chunks).decode(errors="replace").splitlines()
    interp = Interp(rules, variables)
    try:
        status = interp.main(lines)
    except AwkError as exc:
        await ctx.out("".join(interp.out))
        await ctx.err(f"awk: {exc}\n")
        return 2
    await ctx.out("".join(interp.out))
    return status
