"""Shell builtins (run inside the shell, no pid) and shell-aware programs (``sh``, ``env``, ``su``...).

Builtins change the shell itself (``cd``, ``export``, ``exit``) or are builtins in mksh (``echo``,
``test``), so they cost no process. *Runners* are programs that get a pid like any command but need the
interpreter to start other commands (``env VAR=x cmd``, ``sh -c``, ``timeout 5 cmd``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from simulator.fs import FsError
from simulator.processes import Process
from simulator.shell.access import strerror
from simulator.shell.api import COMMANDS, CommandContext
from simulator.shell.printf import StopOutput, printf, unescape
from simulator.shell.state import IO, ExitShell, LoopControl, ShellState
from simulator.shell.testexpr import TestError, evaluate

if TYPE_CHECKING:
    from simulator.shell.interpreter import Shell

Builtin = Callable[["Shell", list[str], ShellState, IO], Awaitable[int]]
Runner = Callable[["Shell", list[str], ShellState, IO, dict[str, str], Process], Awaitable[int]]

BUILTINS: dict[str, Builtin] = {}
RUNNERS: dict[str, Runner] = {}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def builtin(*names: str) -> Callable[[Builtin], Builtin]:
    def register(fn: Builtin) -> Builtin:
        for name in names:
            BUILTINS[name] = fn
        return fn

    return register


def runner(*names: str) -> Callable[[Runner], Runner]:
    def register(fn: Runner) -> Runner:
        for name in names:
            RUNNERS[name] = fn
        return fn

    return register


async def _out(io: IO, text: str) -> None:
    await io.stdout.write(text.encode(errors="surrogateescape"))


async def _err(io: IO, text: str) -> None:
    await io.stderr.write(text.encode(errors="surrogateescape"))


# -- trivial -----------------------------------------------------------------------------------------
@builtin(":", "true")
async def _true(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    return 0


@builtin("false")
async def _false(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    return 1


@builtin("trap", "umask", "alias", "ulimit")
async def _accepted(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    """Accepted and ignored: scripts call them for hygiene, nothing observable depends on them here."""
    if argv[0] == "umask" and len(argv) == 1:
        await _out(io, "0000\n")
    return 0


# -- output ------------------------------------------------------------------------------------------
@builtin("echo")
async def _echo(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    newline, escapes = True, True
    args = argv[1:]
    while args and re.fullmatch(r"-[neE]+", args[0]):
        for flag in args[0][1:]:
            if flag == "n":
                newline = False
            else:
                escapes = flag == "e"
        args = args[1:]
    text = " ".join(args)
    if escapes and "\\" in text:
        try:
            text = unescape(text)
        except StopOutput as stop:
            await _out(io, str(stop))
            return 0
    await _out(io, text + "\n" if newline else text)
    return 0


@builtin("printf")
async def _printf(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    if len(argv) < 2:
        await _err(io, "printf: Need 1 argument\n")
        return 1
    text, errors = printf(argv[1], argv[2:])
    await _out(io, text)
    for error in errors:
        await _err(io, f"printf: {error}\n")
    return 1 if errors else 0


@builtin("test", "[")
async def _test(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    args = argv[1:]
    if argv[0] == "[":
        if not args or args[-1] != "]":
            await _err(io, "[: missing ]\n")
            return 2
        args = args[:-1]
    try:
        return 0 if evaluate(args, shell.device.fs, st.cwd, st.uid) else 1
    except TestError as exc:
        await _err(io, f"{argv[0]}: {exc}\n")
        return 2


# -- state -------------------------------------------------------------------------------------------
@builtin("cd")
async def _cd(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    target = argv[1] if len(argv) > 1 else st.vars.get("HOME", "/")
    if target == "-":
        target = st.vars.get("OLDPWD", st.cwd)
    fs = shell.device.fs
    try:
        path = fs.normalize(target, st.cwd)
        if not fs.stat(path).is_dir:
            await _err(io, f"sh: cd: {target}: Not a directory\n")
            return 1
    except FsError as exc:
        await _err(io, f"sh: cd: {target}: {strerror(exc)}\n")
        return 1
    st.vars["OLDPWD"], st.cwd = st.cwd, path
    st.vars["PWD"] = path
    return 0


@builtin("pwd")
async def _pwd(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    await _out(io, st.cwd + "\n")
    return 0


@builtin("export", "readonly")
async def _export(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    args = [a for a in argv[1:] if a != "-p"]
    if not args:
        for name in sorted(st.exported):
            if name in st.vars:
                await _out(io, f"export {name}={_quote(st.vars[name])}\n")
        return 0
    status = 0
    for arg in args:
        name, eq, value = arg.partition("=")
        if not _NAME.match(name):
            await _err(io, f"sh: {argv[0]}: {arg}: is not an identifier\n")
            status = 1
            continue
        if eq:
            st.vars[name] = value
        st.exported.add(name)
    return status


@builtin("unset")
async def _unset(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    for name in argv[1:]:
        if name in ("-v", "-f"):
            continue
        st.vars.pop(name, None)
        st.exported.discard(name)
    return 0


@builtin("set")
async def _set(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    args = argv[1:]
    if not args:
        for name in sorted(st.vars):
            await _out(io, f"{name}={_quote(st.vars[name])}\n")
        return 0
    while args and args[0][:1] in "-+" and args[0] != "--":
        args = args[1:]  # options (-e, -x, ...) are accepted and ignored
    if args and args[0] == "--":
        args = args[1:]
        st.params = list(args)
    elif args:
        st.params = list(args)
    return 0


@builtin("shift")
async def _shift(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    count = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1
    if count > len(st.params):
        await _err(io, "sh: shift: nothing to shift\n")
        return 1
    st.params = st.params[count:]
    return 0


@builtin("read")
async def _read(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    raw = False
    names: list[str] = []
    for arg in argv[1:]:
        if arg == "-r":
            raw = True
        elif not arg.startswith("-"):
            names.append(arg)
    names = names or ["REPLY"]
    line = await _readline(io)
    if not line:
        for name in names:
            st.vars[name] = ""
        return 1
    text = line.decode(errors="replace").rstrip("\n")
    if not raw:
        text = re.sub(r"\\(.)", r"\1", text)
    fields = text.split(None, len(names) - 1) if names != ["REPLY"] else [text]
    for i, name in enumerate(names):
        st.vars[name] = fields[i] if i < len(fields) else ""
    return 0 if line.endswith(b"\n") else 1


async def _readline(io: IO) -> bytes:
    reader = io.stdin
    readline = getattr(reader, "readline", None)
    if readline is not None:
        return await readline()
    out = bytearray()
    while not out.endswith(b"\n"):
        byte = await reader.read(1)
        if not byte:
            break
        out += byte
    return bytes(out)


# -- control -----------------------------------------------------------------------------------------
@builtin("exit")
async def _exit(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    status = st.status
    if len(argv) > 1:
        try:
            status = int(argv[1]) & 0xFF
        except ValueError:
            await _err(io, f"sh: exit: {argv[1]}: bad number\n")
            status = 2
    raise ExitShell(status)


@builtin("break", "continue")
async def _loop_control(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    levels = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 1
    raise LoopControl(argv[0], max(1, levels))


@builtin("exec")
async def _exec(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    """``exec CMD``: the shell's process becomes CMD (same pid, its name changes), then the shell ends."""
    if len(argv) == 1:
        return 0
    status = await shell.invoke(argv[1:], st, io, exec_in_place=True)
    raise ExitShell(status)


@builtin("eval")
async def _eval(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    return await _in_shell(shell, " ".join(argv[1:]), st, io)


@builtin(".", "source")
async def _source(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    if len(argv) < 2:
        await _err(io, f"sh: {argv[0]}: missing argument\n")
        return 2
    fs = shell.device.fs
    try:
        script = fs.read_file(fs.normalize(argv[1], st.cwd)).decode(errors="replace")
    except FsError as exc:
        await _err(io, f"sh: {argv[0]}: {argv[1]}: {strerror(exc)}\n")
        return 1
    return await _in_shell(shell, script, st, io)


async def _in_shell(shell: Shell, script: str, st: ShellState, io: IO) -> int:
    """Run script text in the current shell: ``exit`` still ends the shell, unlike ``sh -c``."""
    from simulator.shell.parser import ShellSyntaxError, parse

    try:
        node = parse(script)
    except ShellSyntaxError as exc:
        await _err(io, f"sh: syntax error: {exc}\n")
        return 2
    return await shell.execute(node, st, io)


@builtin("wait")
async def _wait(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    status = 0
    for job in list(st.jobs):
        status = await asyncio.shield(job)
    st.jobs.clear()
    return status


# -- lookup ------------------------------------------------------------------------------------------
@builtin("command")
async def _command(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    args = argv[1:]
    verbose = None
    while args and args[0].startswith("-") and args[0] != "-":
        if args[0] in ("-v", "-V"):
            verbose = args[0]
        args = args[1:]
    if not args:
        return 0
    if verbose is None:
        return await shell.invoke(args, st, io)
    status = 0
    for name in args:
        where = _where(shell, name, st)
        if where is None:
            status = 1
            if verbose == "-V":
                await _err(io, f"{name} not found\n")
        elif verbose == "-v":
            await _out(io, f"{name if where == 'builtin' else where}\n")
        else:
            await _out(io, f"{name} is {'a shell builtin' if where == 'builtin' else where}\n")
    return status


@builtin("type")
async def _type(shell: Shell, argv: list[str], st: ShellState, io: IO) -> int:
    status = 0
    for name in argv[1:]:
        where = _where(shell, name, st)
        if where is None:
            await _err(io, f"{name} not found\n")
            status = 1
        else:
            await _out(io, f"{name} is {'a shell builtin' if where == 'builtin' else where}\n")
    return status


def _where(shell: Shell, name: str, st: ShellState) -> str | None:
    """``builtin``, the program's path, or None."""
    if name in BUILTINS:
        return "builtin"
    found = shell.lookup(name, st)
    if found.error:
        return None
    return found.path


def _quote(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./:,=+-]+", value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


# -- runners: programs that start other programs -----------------------------------------------------
@runner("sh")
async def _sh(shell: Shell, argv: list[str], st: ShellState, io: IO, env: dict[str, str],
              proc: Process) -> int:
    """``sh -c SCRIPT [NAME ARGS...]``, ``sh FILE [ARGS...]``, or ``sh`` reading the script from stdin."""
    child = shell.child_state(st, proc, env)
    args = argv[1:]
    while args and args[0].startswith("-") and args[0] not in ("-c", "-", "--"):
        args = args[1:]  # -e, -x, -i...: accepted
    if args and args[0] == "-c":
        if len(args) < 2:
            await _err(io, "sh: -c: option requires an argument\n")
            return 2
        script = args[1]
        if len(args) > 2:
            child.argv0, child.params = args[2], list(args[3:])
        return await shell.run_script(script, child, io)
    if args and args[0] not in ("-", "--"):
        fs = shell.device.fs
        try:
            data = fs.read_file(fs.normalize(args[0], st.cwd))
        except FsError as exc:
            await _err(io, f"sh: {args[0]}: {strerror(exc)}\n")
            return 127
        child.argv0, child.params = args[0], list(args[1:])
        return await shell.run_script(data.decode(errors="replace"), child, io)
    return await _sh_stdin(shell, child, io)


_INCOMPLETE = ("unexpected end of file", "unterminated quoted string", "no closing quote", "missing ')'",
               "missing '}'")


async def _sh_stdin(shell: Shell, st: ShellState, io: IO) -> int:
    """Like a real ``sh`` reading a pipe: run each complete command as soon as its line arrives.

    (A persistent ``adb shell sh`` fed one command at a time, e.g. for clock sampling, must get each answer
    before it sends the next line; slurping stdin to EOF first would deadlock it.)
    """
    from simulator.shell.parser import ShellSyntaxError, parse

    pending = b""
    while chunk := await io.stdin.read():
        pending += chunk
        cut = pending.rfind(b"\n")
        if cut < 0:
            continue
        text = pending[:cut + 1].decode(errors="replace")
        try:
            node = parse(text)
        except ShellSyntaxError as exc:
            if str(exc) in _INCOMPLETE:
                continue  # an open quote, if, case...: wait for the lines that close it
            pending = pending[cut + 1:]
            await shell.run_script(text, st, io)  # reports the syntax error as sh does
            continue
        pending = pending[cut + 1:]
        try:
            await shell.execute(node, st, io)
        except ExitShell as exc:
            st.status = exc.status
            return exc.status
        except LoopControl:
            pass
    if pending.strip():
        return await shell.run_script(pending.decode(errors="replace"), st, io)
    return st.status


@runner("su")
async def _su(shell: Shell, argv: list[str], st: ShellState, io: IO, env: dict[str, str],
              proc: Process) -> int:
    """userdebug ``su [UID] [CMD...]`` / ``su -c CMD``: run as root; absent on user builds."""
    if shell.device.props.get("ro.debuggable") != "1":
        await _err(io, "sh: su: not found\n")
        return 127
    if st.uid not in (0, 2000):
        await _err(io, "su: not allowed\n")
        return 1
    args = argv[1:]
    uid = 0
    if args and args[0].isdigit():
        uid = int(args[0])
        args = args[1:]
    elif args and args[0] == "root":
        args = args[1:]
    proc.uid = uid
    child = shell.child_state(st, proc, env, uid=uid)
    if args and args[0] == "-c":
        return await shell.run_script(" ".join(args[1:]), child, io)
    if args:
        return await shell.invoke(args, child, io)
    return await _sh(shell, ["sh"], child, io, env, proc)


@runner("env")
async def _env(shell: Shell, argv: list[str], st: ShellState, io: IO, env: dict[str, str],
               proc: Process) -> int:
    args = argv[1:]
    new_env = dict(env)
    while args:
        arg = args[0]
        if arg in ("-i", "-"):
            new_env.clear()
        elif arg == "-u" and len(args) > 1:
            new_env.pop(args[1], None)
            args = args[1:]
        elif "=" in arg and _NAME.match(arg.split("=", 1)[0]):
            name, _, value = arg.partition("=")
            new_env[name] = value
        else:
            break
        args = args[1:]
    if not args:
        await _out(io, "".join(f"{k}={v}\n" for k, v in new_env.items()))
        return 0
    child = shell.child_state(st, proc, new_env)
    return await shell.invoke(args, child, io)


@runner("nohup")
async def _nohup(shell: Shell, argv: list[str], st: ShellState, io: IO, env: dict[str, str],
                 proc: Process) -> int:
    if len(argv) < 2:
        await _err(io, "nohup: Need 1 argument\n")
        return 1
    return await shell.invoke(argv[1:], shell.child_state(st, proc, env), io)


@runner("timeout")
async def _timeout(shell: Shell, argv: list[str], st: ShellState, io: IO, env: dict[str, str],
                   proc: Process) -> int:
    """``timeout [-s SIG] DURATION CMD...``: 124 when the command had to be stopped."""
    args = argv[1:]
    while args and args[0].startswith("-") and args[0] != "--":
        args = args[2:] if args[0] in ("-s", "-k") else args[1:]
    if len(args) < 2:
        await _err(io, "timeout: Need 2 arguments\n")
        return 1
    try:
        seconds = _duration(args[0])
    except ValueError:
        await _err(io, f"timeout: invalid duration '{args[0]}'\n")
        return 125
    try:
        return await asyncio.wait_for(shell.invoke(args[1:], shell.child_state(st, proc, env), io), seconds)
    except asyncio.TimeoutError:
        return 124


def _duration(text: str) -> float:
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:])
    return float(text[:-1]) * scale if scale else float(text)


@runner("which")
async def _which(shell: Shell, argv: list[str], st: ShellState, io: IO, env: dict[str, str],
                 proc: Process) -> int:
    """toybox ``which``: programs on PATH only (not builtins), exit 1 if any is missing."""
    status = 0
    fs = shell.device.fs
    for name in (a for a in argv[1:] if not a.startswith("-")):
        if "/" in name:
            found = fs.exists(fs.normalize(name, st.cwd))
            if found:
                await _out(io, name + "\n")
            else:
                status = 1
            continue
        for directory in env.get("PATH", st.vars.get("PATH", "")).split(":"):
            path = f"{directory}/{name}"
            if directory and fs.exists(path) and fs.stat(path).mode & 0o111 and not fs.stat(path).is_dir:
                await _out(io, path + "\n")
                break
        else:
            status = 1
    return status


def known_programs() -> list[str]:
    """Every name a user could run: builtins, runners and registered commands."""
    return sorted(set(BUILTINS) | set(RUNNERS) | set(COMMANDS))


# -- toybox ------------------------------------------------------------------------------------------
TOYBOX_COMMANDS = (
    "basename", "cat", "chmod", "cp", "cut", "date", "dirname", "echo", "egrep", "env", "false", "fgrep",
    "getenforce", "getprop", "grep", "head", "hostname", "id", "kill", "ln", "ls", "md5sum", "mkdir", "mv",
    "nohup", "pidof", "printf", "ps", "pwd", "readlink", "realpath", "rm", "rmdir", "setprop", "sha1sum",
    "sha256sum", "sha512sum", "sleep", "sort", "stat", "tail", "test", "timeout", "touch", "tr", "true",
    "uname", "uniq", "uptime", "wc", "which", "whoami",
)


@runner("toybox")
async def _toybox(shell: Shell, argv: list[str], st: ShellState, io: IO, env: dict[str, str],
                  proc: Process) -> int:
    """``toybox CMD ARGS``: run one of toybox's commands; ``toybox`` alone lists them."""
    if len(argv) < 2:
        line, lines = "", []
        for name in TOYBOX_COMMANDS:
            if len(line) + len(name) + 1 > 80:
                lines.append(line.rstrip())
                line = ""
            line += name + " "
        lines.append(line.rstrip())
        await _out(io, "\n".join(lines) + "\n")
        return 0
    name = argv[1]
    if name not in TOYBOX_COMMANDS:
        await _err(io, f"toybox: Unknown command {name}\n")
        return 1
    fn = COMMANDS.get(name)
    if fn is None:
        return await shell.invoke(argv[1:], shell.child_state(st, proc, env), io)
    proc.name = name
    ctx = CommandContext(shell.device, argv[1:], io.stdin, io.stdout, io.stderr, env, st.cwd, st.uid, proc.pid)
    return await fn(ctx)
