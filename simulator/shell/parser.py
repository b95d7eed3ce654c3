"""Parser of the device shell's language: a lazy tokenizer and a recursive-descent parser to an AST.

Real clients send small POSIX-sh scripts (adbutils appends ``; echo X4EXIT:$?`` to everything, the adb CLI
wraps logcat in ``export ...; exec logcat``), so the language must be parsed like mksh parses it, not split
on spaces: quoting, expansions and command substitution change what runs. The AST is immutable and
:func:`parse` caches it, because the same few scripts arrive thousands of times.

Words keep their structure (literal, quoted, parameter, command substitution) until execution, where the
interpreter expands them; that is what makes an unquoted ``$(touch canary)`` really run and a quoted
``'$(touch canary)'`` stay text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


class ShellSyntaxError(Exception):
    """The script cannot be parsed; the message is what mksh-like shells print after ``sh: syntax error:``."""


# -- AST: words -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Lit:
    """Literal text. ``quoted`` text is neither split into fields nor used as a glob pattern."""

    text: str
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """``$NAME``, ``${NAME}``, ``${NAME:-word}`` (``op`` is ``:-``, ``-``, ``:=``, ``=``, ``:+``, ``+``,
    ``#`` for the length), or a special parameter (``?``, ``$``, ``#``, ``@``, ``*``, ``!``, digits)."""

    name: str
    quoted: bool = False
    op: str = ""
    arg: Word | None = None


@dataclass(frozen=True, slots=True)
class CmdSub:
    """``$(...)`` or backticks: the body runs and its output (trailing newlines removed) is substituted."""

    body: Node
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Arith:
    """``$((expr))``: the expression is expanded as a word, then evaluated as integer arithmetic."""

    expr: Word
    quoted: bool = False


Part = Lit | Param | CmdSub | Arith


@dataclass(frozen=True, slots=True)
class Word:
    parts: tuple[Part, ...]

    @property
    def literal(self) -> str | None:
        """The text if the word is one plain unquoted literal (reserved words, fd numbers), else None."""
        if len(self.parts) == 1:
            part = self.parts[0]
            if isinstance(part, Lit) and not part.quoted:
                return part.text
        return None

    @property
    def static(self) -> str | None:
        """The text if the word has no expansions at all (quotes allowed), else None."""
        if all(isinstance(p, Lit) for p in self.parts):
            return "".join(p.text for p in self.parts)  # type: ignore[union-attr]
        return None


# -- AST: commands ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Redir:
    """``fd op target``: op is ``<``, ``>``, ``>>``, ``>&`` / ``<&`` (dup, target ``N`` or ``-``), ``&>``,
    ``&>>`` (stdout and stderr) or ``<>``."""

    fd: int
    op: str
    target: Word


@dataclass(frozen=True, slots=True)
class Simple:
    assigns: tuple[tuple[str, Word], ...]
    words: tuple[Word, ...]
    redirs: tuple[Redir, ...]


@dataclass(frozen=True, slots=True)
class Pipeline:
    commands: tuple[Node, ...]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class AndOr:
    first: Node
    rest: tuple[tuple[str, Node], ...]  # ("&&" | "||", pipeline)


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple[tuple[Node, bool], ...]  # (and-or list, run in background)


@dataclass(frozen=True, slots=True)
class Subshell:
    body: Node
    redirs: tuple[Redir, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    body: Node
    redirs: tuple[Redir, ...] = ()


@dataclass(frozen=True, slots=True)
class If:
    branches: tuple[tuple[Node, Node], ...]  # (condition, body) for if and each elif
    orelse: Node | None = None
    redirs: tuple[Redir, ...] = ()


@dataclass(frozen=True, slots=True)
class For:
    var: str
    items: tuple[Word, ...] | None  # None: iterate over "$@"
    body: Node
    redirs: tuple[Redir, ...] = ()


@dataclass(frozen=True, slots=True)
class While:
    cond: Node
    body: Node
    until: bool = False
    redirs: tuple[Redir, ...] = ()


Node = Simple | Pipeline | AndOr | Sequence | Subshell | Group | If | For | While

EMPTY = Sequence(())

# -- tokens -----------------------------------------------------------------------------------------
_OPS = ("&&", "||", ";;", "&>>", "&>", ">>", ">&", "<&", "<>", ">|", "|", "&", ";", "(", ")", "<", ">")
_REDIR_OPS = {"<", ">", ">>", ">&", "<&", "<>", ">|", "&>", "&>>"}
_META = set(" \t\n|&;<>()")
_RESERVED = {"if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "{", "}", "!",
             "case", "esac"}
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_SPECIAL_PARAMS = set("?$#@*!-0123456789")


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str  # "word", "op", "redir", "eof"
    value: str = ""
    word: Word | None = None
    fd: int | None = None


_EOF = Tok("eof")
_NEWLINE = Tok("op", "\n")


class _Lexer:
    """Produces one token at a time, so ``$(...)`` can hand the rest of the source to a nested parser."""

    def __init__(self, src: str, pos: int = 0) -> None:
        self.src = src
        self.pos = pos

    def next(self) -> Tok:
        src, n = self.src, len(self.src)
        while True:
            while self.pos < n and src[self.pos] in " \t":
                self.pos += 1
            if self.pos >= n:
                return _EOF
            c = src[self.pos]
            if c == "\\" and src.startswith("\\\n", self.pos):  # line continuation
                self.pos += 2
                continue
            if c == "#":
                end = src.find("\n", self.pos)
                self.pos = n if end < 0 else end
                continue
            break
        if c == "\n":
            self.pos += 1
            return _NEWLINE
        if c in _META:
            for op in _OPS:
                if src.startswith(op, self.pos):
                    self.pos += len(op)
                    if op in _REDIR_OPS:
                        return Tok("redir", op)
                    return Tok("op", op)
        word = self._word()
        if self.pos < n and src[self.pos] in "<>" and word.literal is not None and word.literal.isdigit():
            for op in _OPS:
                if op in _REDIR_OPS and op[0] != "&" and src.startswith(op, self.pos):
                    self.pos += len(op)
                    return Tok("redir", op, fd=int(word.literal))
        return Tok("word", word=word)

    # -- words --------------------------------------------------------------------------------------
    def _word(self) -> Word:
        parts: list[Part] = []
        buf: list[str] = []
        src, n = self.src, len(self.src)

        def flush() -> None:
            if buf:
                parts.append(Lit("".join(buf)))
                buf.clear()

        while self.pos < n:
            c = src[self.pos]
            if c in _META:
                break
            if c == "'":
                end = src.find("'", self.pos + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated quoted string")
                flush()
                parts.append(Lit(src[self.pos + 1:end], True))
                self.pos = end + 1
            elif c == '"':
                flush()
                self.pos += 1
                parts.extend(self._double_quoted())
            elif c == "\\":
                if self.pos + 1 >= n:
                    buf.append("\\")
                    self.pos += 1
                elif src[self.pos + 1] == "\n":
                    self.pos += 2
                else:
                    flush()
                    parts.append(Lit(src[self.pos + 1], True))
                    self.pos += 2
            elif c == "$":
                part = self._dollar(quoted=False)
                if part is None:
                    buf.append("$")
                else:
                    flush()
                    parts.append(part)
            elif c == "`":
                flush()
                parts.append(self._backtick(quoted=False))
            else:
                buf.append(c)
                self.pos += 1
        flush()
        return Word(tuple(parts))

    def _double_quoted(self) -> list[Part]:
        parts: list[Part] = []
        buf: list[str] = []
        src, n = self.src, len(self.src)
        while True:
            if self.pos >= n:
                raise ShellSyntaxError("unterminated quoted string")
            c = src[self.pos]
            if c == '"':
                self.pos += 1
                break
            if c == "\\" and self.pos + 1 < n and src[self.pos + 1] in '$`"\\\n':
                if src[self.pos + 1] != "\n":
                    buf.append(src[self.pos + 1])
                self.pos += 2
            elif c == "$":
                part = self._dollar(quoted=True)
                if part is None:
                    buf.append("$")
                else:
                    if buf:
                        parts.append(Lit("".join(buf), True))
                        buf.clear()
                    parts.append(part)
            elif c == "`":
                if buf:
                    parts.append(Lit("".join(buf), True))
                    buf.clear()
                parts.append(self._backtick(quoted=True))
            else:
                buf.append(c)
                self.pos += 1
        if buf or not parts:
            parts.append(Lit("".join(buf), True))  # "" is an empty field, not nothing
        return parts

    def _dollar(self, quoted: bool) -> Part | None:
        """Parse an expansion at ``$``; None if the ``$`` is just a character."""
        src, n = self.src, len(self.src)
        start = self.pos
        nxt = src[start + 1] if start + 1 < n else ""
        if nxt == "(":
            if src.startswith("((", start + 1):
                end = _matching_arith(src, start + 3)
                if end >= 0:
                    inner = _Lexer(src[start + 3:end])
                    self.pos = end + 2
                    return Arith(Word(tuple(inner._arith_word())), quoted)
            parser = Parser(src, start + 2)
            body = parser.parse_list(stop_paren=True)
            tok = parser.take()
            if tok.kind != "op" or tok.value != ")":
                raise ShellSyntaxError("missing ')'" if tok.kind == "eof" else f"'{_show(tok)}' unexpected")
            self.pos = parser.lexer.pos
            return CmdSub(body, quoted)
        if nxt == "{":
            end = src.find("}", start + 2)
            if end < 0:
                raise ShellSyntaxError("missing '}'")
            self.pos = end + 1
            return _braced_param(src[start + 2:end], quoted)
        if nxt in _SPECIAL_PARAMS and nxt:
            self.pos = start + 2
            return Param(nxt, quoted)
        m = _NAME_RE.match(src, start + 1)
        if m:
            self.pos = m.end()
            return Param(m.group(0), quoted)
        self.pos = start + 1
        return None

    def _backtick(self, quoted: bool) -> CmdSub:
        src, n = self.src, len(self.src)
        i = self.pos + 1
        buf: list[str] = []
        while True:
            if i >= n:
                raise ShellSyntaxError("no closing quote")
            c = src[i]
            if c == "`":
                break
            if c == "\\" and i + 1 < n and src[i + 1] in "`$\\":
                buf.append(src[i + 1])
                i += 2
                continue
            buf.append(c)
            i += 1
        self.pos = i + 1
        return CmdSub(parse("".join(buf)), quoted)

    def _arith_word(self) -> list[Part]:
        """The inside of ``$((...))``: only ``$`` expansions matter; everything else is literal."""
        parts: list[Part] = []
        buf: list[str] = []
        while self.pos < len(self.src):
            if self.src[self.pos] == "$":
                part = self._dollar(quoted=True)
                if part is not None:
                    if buf:
                        parts.append(Lit("".join(buf), True))
                        buf.clear()
                    parts.append(part)
                    continue
                buf.append("$")
            else:
                buf.append(self.src[self.pos])
                self.pos += 1
        if buf:
            parts.append(Lit("".join(buf), True))
        return parts

    def _word_text(self, quoted: bool) -> list[Part]:
        """The word of ``${NAME:-word}``: quotes and expansions, but spaces are literal."""
        parts: list[Part] = []
        buf: list[str] = []
        src, n = self.src, len(self.src)
        while self.pos < n:
            c = src[self.pos]
            if c == "'" and not quoted:
                end = src.find("'", self.pos + 1)
                end = n if end < 0 else end
                parts.append(Lit(src[self.pos + 1:end], True))
                self.pos = end + 1
            elif c == '"':
                self.pos += 1
                if buf:
                    parts.append(Lit("".join(buf), quoted))
                    buf.clear()
                parts.extend(self._double_quoted())
            elif c == "$":
                part = self._dollar(quoted)
                if part is None:
                    buf.append("$")
                else:
                    if buf:
                        parts.append(Lit("".join(buf), quoted))
                        buf.clear()
                    parts.append(part)
            else:
                buf.append(c)
                self.pos += 1
        if buf:
            parts.append(Lit("".join(buf), quoted))
        return parts


def _matching_arith(src: str, i: int) -> int:
    """Index of the ``))`` closing an arithmetic expansion whose body starts at ``i``, or -1."""
    depth = 0
    while i < len(src):
        c = src[i]
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return i if src.startswith("))", i) else -1
            depth -= 1
        i += 1
    return -1


def _braced_param(body: str, quoted: bool) -> Param:
    if body.startswith("#") and len(body) > 1:
        return Param(body[1:], quoted, op="#")
    m = _NAME_RE.match(body)
    if m:
        name = m.group(0)
    elif body[:1] in _SPECIAL_PARAMS and body:
        name = body[0]
    else:
        raise ShellSyntaxError(f"${{{body}}}: bad substitution")
    rest = body[len(name):]
    if not rest:
        return Param(name, quoted)
    for op in (":-", ":=", ":+", ":?", "-", "=", "+", "?"):
        if rest.startswith(op):
            lexer = _Lexer(rest[len(op):])
            arg = Word(tuple(lexer._word_text(quoted)))
            return Param(name, quoted, op=op, arg=arg)
    raise ShellSyntaxError(f"${{{body}}}: bad substitution")




def _show(tok: Tok) -> str:
    if tok.kind == "word" and tok.word is not None:
        return tok.word.static or "word"
    return "newline" if tok.value == "\n" else tok.value


# -- parser -----------------------------------------------------------------------------------------
class Parser:
    def __init__(self, src: str, pos: int = 0) -> None:
        self.lexer = _Lexer(src, pos)
        self._peeked: Tok | None = None

    def peek(self) -> Tok:
        if self._peeked is None:
            self._peeked = self.lexer.next()
        return self._peeked

    def take(self) -> Tok:
        tok = self.peek()
        self._peeked = None
        return tok

    def _is_op(self, value: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.value == value

    def _is_reserved(self, *names: str) -> bool:
        tok = self.peek()
        return tok.kind == "word" and tok.word is not None and tok.word.literal in names

    def _expect_reserved(self, name: str) -> None:
        if not self._is_reserved(name):
            raise self._unexpected()
        self.take()

    def _unexpected(self) -> ShellSyntaxError:
        tok = self.peek()
        if tok.kind == "eof":
            return ShellSyntaxError("unexpected end of file")
        return ShellSyntaxError(f"'{_show(tok)}' unexpected")

    def _skip_newlines(self) -> None:
        while self._is_op("\n"):
            self.take()

    # -- grammar --------------------------------------------------------------------------------
    def parse_program(self) -> Node:
        body = self.parse_list()
        if self.peek().kind != "eof":
            raise self._unexpected()
        return body

    def parse_list(self, stops: tuple[str, ...] = (), stop_paren: bool = False) -> Node:
        """And-or lists up to EOF, a ``)`` (if ``stop_paren``) or a reserved word in ``stops``."""
        items: list[tuple[Node, bool]] = []
        while True:
            while self._is_op("\n") or self._is_op(";"):
                if self._is_op(";") and not items:
                    raise self._unexpected()
                self.take()
            tok = self.peek()
            if tok.kind == "eof" or (stop_paren and tok.kind == "op" and tok.value == ")"):
                break
            if stops and self._is_reserved(*stops):
                break
            node = self.parse_and_or()
            background = False
            if self._is_op("&"):
                self.take()
                background = True
            elif self._is_op(";") or self._is_op("\n"):
                self.take()
            else:
                items.append((node, False))
                tok = self.peek()
                if tok.kind == "eof" or (tok.kind == "op" and tok.value == ")") or self._is_reserved(*stops):
                    break
                raise self._unexpected()
            items.append((node, background))
        if len(items) == 1 and not items[0][1]:
            return items[0][0]
        return Sequence(tuple(items))

    def parse_and_or(self) -> Node:
        first = self.parse_pipeline()
        rest: list[tuple[str, Node]] = []
        while self._is_op("&&") or self._is_op("||"):
            op = self.take().value
            self._skip_newlines()
            rest.append((op, self.parse_pipeline()))
        return AndOr(first, tuple(rest)) if rest else first

    def parse_pipeline(self) -> Node:
        negate = False
        while self._is_reserved("!"):
            self.take()
            negate = not negate
        commands = [self.parse_command()]
        while self._is_op("|"):
            self.take()
            self._skip_newlines()
            commands.append(self.parse_command())
        if len(commands) == 1 and not negate:
            return commands[0]
        return Pipeline(tuple(commands), negate)

    def parse_command(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "(":
            self.take()
            body = self.parse_list(stop_paren=True)
            if not self._is_op(")"):
                raise self._unexpected()
            self.take()
            return Subshell(body, self._redirs())
        if tok.kind == "word" and tok.word is not None:
            keyword = tok.word.literal
            if keyword == "{":
                self.take()
                body = self.parse_list(stops=("}",))
                self._expect_reserved("}")
                return Group(body, self._redirs())
            if keyword == "if":
                return self._parse_if()
            if keyword == "for":
                return self._parse_for()
            if keyword in ("while", "until"):
                self.take()
                cond = self.parse_list(stops=("do",))
                body = self._do_group()
                return While(cond, body, keyword == "until", self._redirs())
            if keyword in ("then", "else", "elif", "fi", "do", "done", "}", "in", "case", "esac"):
                raise self._unexpected()
        return self._parse_simple()

    def _do_group(self) -> Node:
        self._expect_reserved("do")
        body = self.parse_list(stops=("done",))
        self._expect_reserved("done")
        return body

    def _parse_if(self) -> Node:
        self.take()
        branches: list[tuple[Node, Node]] = []
        orelse: Node | None = None
        while True:
            cond = self.parse_list(stops=("then",))
            self._expect_reserved("then")
            body = self.parse_list(stops=("elif", "else", "fi"))
            branches.append((cond, body))
            if self._is_reserved("elif"):
                self.take()
                continue
            if self._is_reserved("else"):
                self.take()
                orelse = self.parse_list(stops=("fi",))
            self._expect_reserved("fi")
            break
        return If(tuple(branches), orelse, self._redirs())

    def _parse_for(self) -> Node:
        self.take()
        tok = self.take()
        name = tok.word.literal if tok.kind == "word" and tok.word is not None else None
        if name is None or not _NAME_RE.fullmatch(name):
            raise ShellSyntaxError(f"for: '{_show(tok)}' is not an identifier")
        self._skip_newlines()
        items: list[Word] | None = None
        if self._is_reserved("in"):
            self.take()
            items = []
            while self.peek().kind == "word":
                word = self.take().word
                assert word is not None
                items.append(word)
        if self._is_op(";") or self._is_op("\n"):
            self.take()
        self._skip_newlines()
        body = self._do_group()
        return For(name, None if items is None else tuple(items), body, self._redirs())

    def _redirs(self) -> tuple[Redir, ...]:
        redirs: list[Redir] = []
        while self.peek().kind == "redir":
            redirs.append(self._redir())
        return tuple(redirs)

    def _redir(self) -> Redir:
        tok = self.take()
        target = self.take()
        if target.kind != "word" or target.word is None:
            raise ShellSyntaxError(f"'{_show(target)}' unexpected" if target.kind != "eof"
                                   else "unexpected end of file")
        op = tok.value
        if op == ">|":
            op = ">"
        fd = tok.fd if tok.fd is not None else (0 if op[0] == "<" else 1)
        return Redir(fd, op, target.word)

    def _parse_simple(self) -> Node:
        assigns: list[tuple[str, Word]] = []
        words: list[Word] = []
        redirs: list[Redir] = []
        while True:
            tok = self.peek()
            if tok.kind == "redir":
                redirs.append(self._redir())
                continue
            if tok.kind != "word" or tok.word is None:
                break
            self.take()
            word = tok.word
            if not words:
                assign = _split_assignment(word)
                if assign is not None:
                    assigns.append(assign)
                    continue
            words.append(word)
        if not (assigns or words or redirs):
            raise self._unexpected()
        return Simple(tuple(assigns), tuple(words), tuple(redirs))


def _split_assignment(word: Word) -> tuple[str, Word] | None:
    first = word.parts[0] if word.parts else None
    if not isinstance(first, Lit) or first.quoted:
        return None
    m = _ASSIGN_RE.match(first.text)
    if m is None:
        return None
    rest = first.text[m.end():]
    parts: tuple[Part, ...] = ((Lit(rest),) if rest else ()) + word.parts[1:]
    return m.group(1), Word(parts)


@functools.lru_cache(maxsize=512)
def parse(script: str) -> Node:
    """Parse a whole script; raise :class:`ShellSyntaxError`. Cached: the AST is immutable."""
    return Parser(script).parse_program()
