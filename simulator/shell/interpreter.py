"""The device's ``/system/bin/sh``: runs parsed scripts against the device's commands, files and processes.

Every script an adb client sends lands here (``shell:``, ``shell,v2,...:``, ``exec:``). The executor keeps
what clients observe faithful: exit statuses (``$?``, 127 for an unknown command, 141 when the reader of
a pipe went away), ordering of output, a real pid in the process table for every external command while it
runs (``ps`` during ``sleep 5`` shows it, ``kill`` ends it), and clean cancellation when the host closes
the stream. Messages use the ``sh: `` prefix throughout.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import posixpath
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from simulator.fs import FsError
from simulator.processes import Process
from simulator.shell import commands as _commands  # noqa: F401 - registers every command
from simulator.shell.access import check_write, strerror
from simulator.shell.api import COMMANDS, CommandContext, CommandFn
from simulator.shell.builtins import BUILTINS, RUNNERS
from simulator.shell.expand import ExpansionError, expand_string, expand_words
from simulator.shell.io import BytesReader, DetachedWriter, FileWriter, Session
from simulator.shell.parser import (
    AndOr,
    For,
    Group,
    If,
    Node,
    Pipeline,
    Redir,
    Sequence,
    ShellSyntaxError,
    Simple,
    Subshell,
    While,
    parse,
)
from simulator.shell.state import IO, ExitShell, LoopControl, ShellState
from simulator.streams import BufferWriter, ByteReader, ByteWriter, EmptyReader, NullWriter, Pipe, StreamClosed

if TYPE_CHECKING:
    from simulator.device import SimDevice

log = logging.getLogger(__name__)

SHELL_PATH = "/system/bin/sh"
DEFAULT_PATH = ("/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:"
                "/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin")
ELF_MAGIC = b"\x7fELF"
SIGPIPE_STATUS = 141

# Builtins that toybox also ships as programs, so ``which``/``ls /system/bin`` find them.
_TOYBOX_TWINS = ("echo", "printf", "true", "false", "test", "[", "pwd", "env", "which", "nohup", "timeout",
                 "toybox")


class Lookup:
    """What a command name resolves to: a registered command, a script file, or an error to print."""

    __slots__ = ("builtin", "error", "fn", "path", "script", "status")

    def __init__(self, *, fn: CommandFn | None = None, path: str = "", script: bytes | None = None,
                 error: str = "", status: int = 0, builtin: str = "") -> None:
        self.builtin = builtin
        self.fn = fn
        self.path = path
        self.script = script
        self.error = error
        self.status = status


class Shell:
    """One device's shell. ``run`` may be called concurrently: each call has its own :class:`ShellState`."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self._background: set[asyncio.Task[int]] = set()
        self._install_binaries()

    def _install_binaries(self) -> None:
        """Give every command a file in /system/bin, so path lookups, ``which`` and ``ls`` agree with it."""
        fs = self.device.fs
        for name in (*COMMANDS, *_TOYBOX_TWINS):
            path = f"/system/bin/{name}"
            if not fs.exists(path):
                fs.write_file(path, ELF_MAGIC, mode=0o755, uid=0, mtime=1230768000)

    # -- entry points ---------------------------------------------------------------------------
    async def run(self, script: str, stdin: ByteReader, stdout: ByteWriter, stderr: ByteWriter, *,
                  env: dict[str, str] | None = None, uid: int | None = None) -> int:
        """Run ``script`` like ``sh -c`` as ``uid`` (default: adbd's, 0 after ``adb root``); return its status."""
        device = self.device
        if uid is None:
            uid = device.shell_uid
        adbd = device.processes.by_name("adbd")
        proc = device.processes.spawn("sh", uid, ppid=adbd[0].pid if adbd else 1)
        session = Session()
        st = self.new_state(proc, session, uid, env)
        try:
            return await self.run_script(script, st, IO(stdin, stdout, stderr))
        finally:
            session.open = False
            device.processes.exit(proc, st.status)

    def new_state(self, proc: Process, session: Session, uid: int, env: dict[str, str] | None,
                  cwd: str = "/") -> ShellState:
        user = {0: "root", 2000: "shell"}.get(uid, str(uid))
        variables = {
            "PATH": DEFAULT_PATH, "HOME": "/", "SHELL": "/bin/sh", "TMPDIR": "/data/local/tmp",
            "USER": user, "LOGNAME": user, "HOSTNAME": self.device.props.get("ro.product.device", "localhost"),
            "ANDROID_DATA": "/data", "ANDROID_ROOT": "/system", "ANDROID_STORAGE": "/storage",
            "ANDROID_ASSETS": "/system/app", "EXTERNAL_STORAGE": "/sdcard", "ASEC_MOUNTPOINT": "/mnt/asec",
            "ANDROID_ART_ROOT": "/apex/com.android.art", "ANDROID_RUNTIME_ROOT": "/apex/com.android.runtime",
            "ANDROID_TZDATA_ROOT": "/apex/com.android.tzdata", "ANDROID_I18N_ROOT": "/apex/com.android.i18n",
        }
        if env:
            variables.update(env)
        exported = set(variables)
        variables.update({"PWD": cwd, "IFS": " \t\n", "PS1": "$ " if uid else "# "})
        return ShellState(variables, exported, cwd, uid, proc, session)

    async def run_script(self, script: str, st: ShellState, io: IO) -> int:
        """Parse and run a script in ``st`` (``sh -c``, ``eval``, ``.``); ``exit`` ends only this level."""
        try:
            node = parse(script)
        except ShellSyntaxError as exc:
            await _quiet_write(io.stderr, f"sh: syntax error: {exc}\n")
            st.status = 2
            return 2
        return await self.run_node(node, st, io)

    async def run_node(self, node: Node, st: ShellState, io: IO) -> int:
        try:
            return await self.execute(node, st, io)
        except ExitShell as exc:
            st.status = exc.status
            return exc.status
        except LoopControl:
            return st.status
        except StreamClosed:
            # A builtin wrote to a pipe nobody reads: SIGPIPE ends this shell (or pipeline stage) quietly.
            st.status = SIGPIPE_STATUS
            return SIGPIPE_STATUS

    async def substitute(self, body: Node, st: ShellState, io: IO) -> str:
        """``$(...)``: run ``body`` in a subshell and return its output without trailing newlines."""
        buf = BufferWriter()
        sub = st.copy()
        status = await self.run_node(body, sub, IO(io.stdin, buf, io.stderr))
        st.subst_status = status
        return buf.data.decode(errors="replace").rstrip("\n")

    # -- execution ------------------------------------------------------------------------------
    async def execute(self, node: Node, st: ShellState, io: IO) -> int:
        status = await _HANDLERS[type(node)](self, node, st, io)
        st.status = status
        return status

    async def _sequence(self, node: Sequence, st: ShellState, io: IO) -> int:
        status = 0
        for item, background in node.items:
            if background:
                self._start_background(item, st, io)
                status = 0
            else:
                status = await self.execute(item, st, io)
        return status

    async def _and_or(self, node: AndOr, st: ShellState, io: IO) -> int:
        status = await self.execute(node.first, st, io)
        for op, item in node.rest:
            if (status == 0) == (op == "&&"):
                status = await self.execute(item, st, io)
        return status

    async def _pipeline(self, node: Pipeline, st: ShellState, io: IO) -> int:
        commands = node.commands
        if len(commands) == 1:
            status = await self.execute(commands[0], st, io)
        else:
            status = await self._run_pipe(commands, st, io)
        return int(status == 0) if node.negate else status

    async def _run_pipe(self, commands: tuple[Node, ...], st: ShellState, io: IO) -> int:
        pipes = [Pipe() for _ in commands[1:]]
        last = len(commands) - 1

        async def stage(i: int) -> int:
            stdin = io.stdin if i == 0 else pipes[i - 1]
            stdout = io.stdout if i == last else pipes[i]
            try:
                return await self.run_node(commands[i], st if i == last else st.copy(),
                                           IO(stdin, stdout, io.stderr))
            finally:
                if i < last:
                    pipes[i].close_nowait()
                if i > 0:
                    pipes[i - 1].close_read()

        tasks = [asyncio.ensure_future(stage(i)) for i in range(len(commands))]
        try:
            statuses = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        return statuses[-1]

    async def _subshell(self, node: Subshell, st: ShellState, io: IO) -> int:
        return await self._with_redirs(node.redirs, st, io,
                                       lambda io2: self.run_node(node.body, st.copy(), io2))

    async def _group(self, node: Group, st: ShellState, io: IO) -> int:
        return await self._with_redirs(node.redirs, st, io, lambda io2: self.execute(node.body, st, io2))

    async def _if(self, node: If, st: ShellState, io: IO) -> int:
        async def body(io2: IO) -> int:
            for cond, branch in node.branches:
                if await self.execute(cond, st, io2) == 0:
                    return await self.execute(branch, st, io2)
            if node.orelse is not None:
                return await self.execute(node.orelse, st, io2)
            return 0

        return await self._with_redirs(node.redirs, st, io, body)

    async def _for(self, node: For, st: ShellState, io: IO) -> int:
        async def body(io2: IO) -> int:
            items = list(st.params) if node.items is None else await expand_words(self, node.items, st, io2)
            status = 0
            for item in items:
                st.vars[node.var] = item
                try:
                    status = await self.execute(node.body, st, io2)
                except LoopControl as ctl:
                    if ctl.levels > 1:
                        raise LoopControl(ctl.kind, ctl.levels - 1) from None
                    if ctl.kind == "break":
                        break
                await asyncio.sleep(0)
            return status

        return await self._with_redirs(node.redirs, st, io, body)

    async def _while(self, node: While, st: ShellState, io: IO) -> int:
        async def body(io2: IO) -> int:
            status = 0
            while True:
                await asyncio.sleep(0)  # a busy loop must not starve the other devices
                if (await self.execute(node.cond, st, io2) == 0) == node.until:
                    return status
                try:
                    status = await self.execute(node.body, st, io2)
                except LoopControl as ctl:
                    if ctl.levels > 1:
                        raise LoopControl(ctl.kind, ctl.levels - 1) from None
                    if ctl.kind == "break":
                        return status

        return await self._with_redirs(node.redirs, st, io, body)

    async def _with_redirs(self, redirs: tuple[Redir, ...], st: ShellState, io: IO,
                           run: Callable[[IO], Awaitable[int]]) -> int:
        if redirs:
            io2 = await self._redirect(redirs, st, io)
            if io2 is None:
                return 1
            io = io2
        return await run(io)

    async def _simple(self, node: Simple, st: ShellState, io: IO) -> int:
        st.subst_status = None
        try:
            argv = await expand_words(self, node.words, st, io) if node.words else []
            assigns = {name: await expand_string(self, word, st, io) for name, word in node.assigns}
        except ExpansionError as exc:
            await _quiet_write(io.stderr, f"sh: {exc}\n")
            return 1
        if node.redirs:
            io2 = await self._redirect(node.redirs, st, io)
            if io2 is None:
                return 1
            io = io2
        if not argv:
            st.vars.update(assigns)
            return st.subst_status or 0
        return await self.invoke(argv, st, io, assigns)

    async def invoke(self, argv: list[str], st: ShellState, io: IO, assigns: dict[str, str] | None = None,
                     *, exec_in_place: bool = False) -> int:
        """Run one command: a builtin in this shell, or a program with its own pid."""
        name = argv[0]
        builtin = BUILTINS.get(name)
        if builtin is not None:
            if not assigns:
                return await builtin(self, argv, st, io)
            saved = {k: st.vars.get(k) for k in assigns}
            st.vars.update(assigns)
            try:
                return await builtin(self, argv, st, io)
            finally:
                for key, value in saved.items():
                    if value is None:
                        st.vars.pop(key, None)
                    else:
                        st.vars[key] = value
        found = self.lookup(name, st)
        if found.error:
            await io.stderr.write(f"sh: {name}: {found.error}\n".encode())
            return found.status
        if found.builtin:
            return await BUILTINS[found.builtin](self, [found.builtin, *argv[1:]], st, io)
        env = st.environ()
        if assigns:
            env.update(assigns)
        program = posixpath.basename(found.path or name)
        runner = RUNNERS.get(program) if found.fn is None and found.script is None else None
        if exec_in_place:
            proc = st.proc
            proc.name = program
        else:
            proc = self.device.processes.spawn(program, st.uid, ppid=st.pid)
        if runner is not None:
            coro = runner(self, [program, *argv[1:]], st, io, env, proc)
        elif found.script is not None:
            coro = self._run_script_file(found, argv, st, io, env, proc)
        else:
            assert found.fn is not None
            ctx = CommandContext(self.device, [program, *argv[1:]], io.stdin, io.stdout, io.stderr, env,
                                 st.cwd, st.uid, proc.pid)
            coro = found.fn(ctx)
        return await self.supervise(coro, proc, io.stderr, own=not exec_in_place)

    async def supervise(self, coro: Awaitable[int], proc: Process, stderr: ByteWriter, *,
                        own: bool = True) -> int:
        """Run a program's coroutine as ``proc``: a signal that ends ``proc`` cancels it (status 128+N)."""
        task = asyncio.ensure_future(coro)
        killed: list[int] = []

        def on_exit(_proc: Process, status: int) -> None:
            if not task.done():
                killed.append(status)
                task.cancel()

        proc.on_exit.append(on_exit)
        status = 1
        try:
            status = await task
        except asyncio.CancelledError:
            if not killed or _outer_cancelling():
                raise
            status = killed[0]
        except StreamClosed:
            status = SIGPIPE_STATUS
        except Exception as exc:
            # A simulator bug must not take the adb stream down with it; say so where the client looks.
            log.exception("device command %s (pid %d) crashed", proc.name, proc.pid)
            await _quiet_write(stderr, f"sh: {proc.name}: simulator error: {type(exc).__name__}: {exc}\n")
            status = 1
        finally:
            if on_exit in proc.on_exit:
                proc.on_exit.remove(on_exit)
            if own and proc.alive:
                self.device.processes.exit(proc, status)
        return status

    async def _run_script_file(self, found: Lookup, argv: list[str], st: ShellState, io: IO,
                               env: dict[str, str], proc: Process) -> int:
        assert found.script is not None
        child = self.child_state(st, proc, env)
        child.argv0, child.params = found.path, list(argv[1:])
        return await self.run_script(found.script.decode(errors="replace"), child, io)

    def child_state(self, st: ShellState, proc: Process, env: dict[str, str], uid: int | None = None) -> ShellState:
        """A new shell process's state: only the environment and the working directory are inherited."""
        child = ShellState(dict(env), set(env), st.cwd, st.uid if uid is None else uid, proc, st.session)
        child.vars.setdefault("IFS", " \t\n")
        child.vars["PWD"] = st.cwd
        return child

    def lookup(self, name: str, st: ShellState) -> Lookup:
        """Resolve a program name like the shell's PATH search (fast path: a registered command)."""
        fs = self.device.fs
        if "/" not in name:
            fn = COMMANDS.get(name)
            if fn is not None:
                return Lookup(fn=fn, path=f"/system/bin/{name}")
            if name in RUNNERS:
                return Lookup(path=f"/system/bin/{name}")
            for directory in st.vars.get("PATH", DEFAULT_PATH).split(":"):
                if directory and fs.exists(f"{directory}/{name}"):
                    return self._lookup_path(f"{directory}/{name}", name)
            return Lookup(error="not found", status=127)
        return self._lookup_path(fs.normalize(name, st.cwd), name)

    def _lookup_path(self, path: str, name: str) -> Lookup:
        fs = self.device.fs
        try:
            info = fs.stat(path)
        except FsError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return Lookup(error="not found", status=127)
            return Lookup(error=f"can't execute: {strerror(exc)}", status=126)
        if info.is_dir:
            return Lookup(error="can't execute: Is a directory", status=126)
        if not info.mode & 0o111:
            return Lookup(error="can't execute: Permission denied", status=126)
        base = posixpath.basename(path)
        data = fs.read_file(path)
        if data.startswith(ELF_MAGIC):
            if base in BUILTINS:  # toybox's twin of a shell builtin (/system/bin/echo)
                return Lookup(path=path, builtin=base)
            if base in COMMANDS:
                return Lookup(fn=COMMANDS[base], path=path)
            if base in RUNNERS:
                return Lookup(path=path)
            return Lookup(error="can't execute: Exec format error", status=126)
        return Lookup(path=path, script=data)

    # -- redirections ---------------------------------------------------------------------------
    async def _redirect(self, redirs: tuple[Redir, ...], st: ShellState, io: IO) -> IO | None:
        """Apply redirections left to right; on failure print the error and return None (status 1)."""
        fds: dict[int, ByteReader | ByteWriter] = {0: io.stdin, 1: io.stdout, 2: io.stderr}
        for redir in redirs:
            try:
                target = await expand_string(self, redir.target, st, io)
            except ExpansionError as exc:
                await _quiet_write(io.stderr, f"sh: {exc}\n")
                return None
            op = redir.op
            if op in (">&", "<&"):
                if target == "-":
                    fds[redir.fd] = NullWriter() if op == ">&" else EmptyReader()
                    continue
                if target.isdigit():
                    source = fds.get(int(target))
                    if source is None:
                        await _quiet_write(io.stderr, f"sh: {target}: bad file descriptor\n")
                        return None
                    fds[redir.fd] = source
                    continue
                if op == "<&":
                    await _quiet_write(io.stderr, f"sh: {target}: illegal file descriptor name\n")
                    return None
                op = "&>"  # ``>& file`` is ``&> file``
            opened = self._open(target, op, st)
            if isinstance(opened, str):
                await _quiet_write(io.stderr, f"sh: {opened}\n")
                return None
            if op in ("&>", "&>>"):
                fds[1] = fds[2] = opened
            else:
                fds[redir.fd] = opened
        return IO(fds[0], fds[1], fds[2])  # type: ignore[arg-type]

    def _open(self, target: str, op: str, st: ShellState) -> ByteReader | ByteWriter | str:
        """Open a redirection target, or return the error message (``can't create /x: ...``)."""
        fs = self.device.fs
        reading = op in ("<", "<>")
        if target in ("/dev/null", "/dev/zero"):
            return EmptyReader() if reading else NullWriter()
        try:
            path = fs.normalize(target, st.cwd)
        except FsError:
            return f"{target}: cannot open"
        try:
            if reading:
                return BytesReader(fs.read_file(path))
            check_write(fs, path, st.uid)
            exists = fs.exists(path)
            if exists and fs.stat(path).is_dir:
                raise FsError(errno.EISDIR, path)
            if not exists:
                fs.write_file(path, b"", mode=0o666, uid=st.uid)
            elif op not in (">>", "&>>"):
                fs.write_file(path, b"", uid=st.uid)
        except FsError as exc:
            return f"can't {'open' if reading else 'create'} {target}: {strerror(exc)}"
        return FileWriter(fs, path, st.uid)

    # -- background jobs ------------------------------------------------------------------------
    def _start_background(self, node: Node, st: ShellState, io: IO) -> None:
        proc = self.device.processes.spawn("sh", st.uid, ppid=st.pid)
        job = st.copy()
        job.proc = proc
        job_io = IO(EmptyReader(), DetachedWriter(io.stdout, st.session), DetachedWriter(io.stderr, st.session))
        task = asyncio.ensure_future(self.supervise(self.run_node(node, job, job_io), proc, job_io.stderr))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        st.jobs.append(task)
        st.last_bg = proc.pid


_HANDLERS: dict[type, Callable[[Shell, Node, ShellState, IO], Awaitable[int]]] = {
    Sequence: Shell._sequence, AndOr: Shell._and_or, Pipeline: Shell._pipeline, Simple: Shell._simple,
    Subshell: Shell._subshell, Group: Shell._group, If: Shell._if, For: Shell._for, While: Shell._while,
}  # type: ignore[dict-item]


def _outer_cancelling() -> bool:
    """Whether the running task itself is being cancelled (not just a program it waited on)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)  # Python 3.11+
    return bool(cancelling()) if cancelling is not None else False


async def _quiet_write(stream: ByteWriter, text: str) -> None:
    """Write a diagnostic; a reader that went away is not an error worth more than the failure itself."""
    with contextlib.suppress(StreamClosed):
        await stream.write(text.encode())
