"""``test`` / ``[``: the expression language of conditions in device scripts."""

from __future__ import annotations

import stat as st_mod

from simulator.fs import FileSystem, FsError

_UNARY_FILE = {"-e", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-b", "-c", "-p", "-S", "-g", "-u", "-k"}
_INT_OPS = {"-eq": int.__eq__, "-ne": int.__ne__, "-lt": int.__lt__, "-le": int.__le__, "-gt": int.__gt__,
            "-ge": int.__ge__}


class TestError(Exception):
    """A malformed expression: ``test`` prints ``test: MESSAGE`` and exits 2."""


def evaluate(args: list[str], fs: FileSystem, cwd: str, uid: int) -> bool:
    parser = _Parser(args, fs, cwd, uid)
    if not args:
        return False
    result = parser.or_expr()
    if parser.pos != len(args):
        raise TestError(f"{args[parser.pos]}: unexpected operator")
    return result


class _Parser:
    def __init__(self, args: list[str], fs: FileSystem, cwd: str, uid: int) -> None:
        self.args, self.fs, self.cwd, self.uid = args, fs, cwd, uid
        self.pos = 0

    def _peek(self, offset: int = 0) -> str | None:
        i = self.pos + offset
        return self.args[i] if i < len(self.args) else None

    def _take(self) -> str:
        value = self._peek()
        if value is None:
            raise TestError("argument expected")
        self.pos += 1
        return value

    def or_expr(self) -> bool:
        result = self.and_expr()
        while self._peek() == "-o":
            self.pos += 1
            result = self.and_expr() or result
        return result

    def and_expr(self) -> bool:
        result = self.not_expr()
        while self._peek() == "-a":
            self.pos += 1
            result = self.not_expr() and result
        return result

    def not_expr(self) -> bool:
        if self._peek() == "!" and self._peek(1) is not None:
            self.pos += 1
            return not self.not_expr()
        return self.primary()

    def primary(self) -> bool:
        first = self._take()
        if first == "(" and self._peek(1) is not None:
            result = self.or_expr()
            if self._take() != ")":
                raise TestError("')' expected")
            return result
        op = self._peek()
        if op is not None and (op in ("=", "==", "!=", "<", ">") or op in _INT_OPS):
            self.pos += 1
            right = self._take()
            if op in ("=", "=="):
                return first == right
            if op == "!=":
                return first != right
            if op == "<":
                return first < right
            if op == ">":
                return first > right
            return _INT_OPS[op](_int(first), _int(right))
        if first in ("-n", "-z") and op is not None:
            value = self._take()
            return bool(value) if first == "-n" else not value
        if first in _UNARY_FILE and op is not None:
            return self._file_test(first, self._take())
        if first == "-t" and op is not None:
            self._take()
            return False
        return bool(first)

    def _file_test(self, op: str, name: str) -> bool:
        if not name:
            return False
        try:
            path = self.fs.normalize(name, self.cwd)
            info = self.fs.lstat(path) if op in ("-L", "-h") else self.fs.stat(path)
        except FsError:
            return False
        mode = info.mode
        if op == "-e":
            return True
        if op == "-f":
            return st_mod.S_ISREG(mode)
        if op == "-d":
            return st_mod.S_ISDIR(mode)
        if op in ("-L", "-h"):
            return st_mod.S_ISLNK(mode)
        if op == "-s":
            return info.size > 0
        if op in ("-r", "-w", "-x"):
            if self.uid == 0:
                return op != "-x" or bool(mode & 0o111) or st_mod.S_ISDIR(mode)
            bit = {"-r": 4, "-w": 2, "-x": 1}[op]
            shift = 6 if info.uid == self.uid else 0
            return bool(mode & (bit << shift)) or bool(mode & (bit << 3))
        if op == "-b":
            return st_mod.S_ISBLK(mode)
        if op == "-c":
            return st_mod.S_ISCHR(mode)
        if op == "-p":
            return st_mod.S_ISFIFO(mode)
        if op == "-S":
            return st_mod.S_ISSOCK(mode)
        return bool(mode & {"-g": 0o2000, "-u": 0o4000, "-k": 0o1000}[op])


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise TestError(f"{text}: bad number") from None
