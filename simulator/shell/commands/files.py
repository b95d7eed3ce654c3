"""File commands (toybox): cat, ls, rm, rmdir, mkdir, touch, chmod, md5sum/sha*sum, stat, cp, mv, ln.

Output and error text follow toybox on Android, because clients parse it: uiautomator2 looks for the
jar's md5 in ``toybox md5sum`` output, harness code reads ``ls -l`` sizes and checks for
``No such file or directory``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import posixpath
import stat as st_mod
import time

from simulator.fs import FileStat, FileSystem, FsError
from simulator.shell.access import check_write, strerror
from simulator.shell.api import CommandContext, command
from simulator.shell.options import Options, UsageError, parse
from simulator.shell.printf import expand_codes
from simulator.shell.users import user_name


async def _opts(ctx: CommandContext, flags: str, with_value: str = "", **kw: str) -> Options | None:
    try:
        return parse(ctx.args, flags, with_value, **kw)  # type: ignore[arg-type]
    except UsageError as exc:
        await ctx.fail(str(exc))
        return None


async def read_input(ctx: CommandContext, name: str) -> bytes:
    """The bytes of a file operand, or of stdin for ``-``; raises :class:`FsError`."""
    if name == "-":
        chunks = bytearray()
        while chunk := await ctx.stdin.read():
            chunks += chunk
        return bytes(chunks)
    return ctx.device.fs.read_file(ctx.path(name))


# -- cat --------------------------------------------------------------------------------------------
@command("cat")
async def cat(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "uvAetn")
    if opts is None:
        return 1
    status = 0
    for name in opts.operands or ["-"]:
        if name == "-":
            while chunk := await ctx.stdin.read():
                await ctx.stdout.write(chunk)
            continue
        try:
            data = ctx.device.fs.read_file(ctx.path(name))
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
            continue
        await ctx.stdout.write(data)
    return status


# -- ls ---------------------------------------------------------------------------------------------
def mode_string(mode: int) -> str:
    """``drwxrwx--x`` from a mode (like ``stat.filemode`` but a symlink is ``l``)."""
    return st_mod.filemode(mode)


def _time(mtime: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(mtime))


@command("ls")
async def ls(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "lad1RtrSsnhHLFicCxpuAZ")
    if opts is None:
        return 1
    fs = ctx.device.fs
    operands = opts.operands or ["."]
    status = 0
    files: list[tuple[str, FileStat, str]] = []
    dirs: list[tuple[str, str]] = []
    for name in operands:
        try:
            path = ctx.path(name)
            follow = "L" in opts or "H" in opts or not ({"d", "l", "n", "F"} & opts.flags)
            info = fs.stat(path) if follow else fs.lstat(path)
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
            continue
        if info.is_dir and "d" not in opts:
            dirs.append((name, path))
        else:
            files.append((name, fs.lstat(path) if "l" in opts else info, path))
    out: list[str] = []
    if files:
        out.extend(_render(fs, _sorted(files, opts), opts))
    recurse = "R" in opts
    show_headers = len(operands) > 1 or recurse
    queue = list(dirs)
    first = not files
    while queue:
        name, path = queue.pop(0)
        try:
            entries = [(n, s, posixpath.join(path, n)) for n, s in fs.listdir(path)]
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
            continue
        if "a" in opts:
            entries = [(".", fs.stat(path), path), ("..", fs.stat(posixpath.dirname(path) or "/"), path),
                       *entries]
        elif "A" not in opts:
            entries = [e for e in entries if not e[0].startswith(".")]
        entries = [(n, fs.lstat(p) if n not in (".", "..") else s, p) for n, s, p in entries]
        entries = _sorted(entries, opts)
        if show_headers:
            if not first:
                out.append("")
            out.append(f"{name}:")
        first = False
        if "l" in opts or "n" in opts:
            blocks = sum(_blocks(s) for n, s, _ in entries if n not in (".", ".."))
            out.append(f"total {blocks}")
        out.extend(_render(fs, entries, opts))
        if recurse:
            subdirs = [(posixpath.join(name, n), p) for n, s, p in entries
                       if st_mod.S_ISDIR(s.mode) and n not in (".", "..")]
            queue[0:0] = subdirs
    if out:
        await ctx.out("\n".join(out) + "\n")
    return status


def _blocks(info: FileStat) -> int:
    return (info.size + 4095) // 4096 * 4 if info.size else 0


def _sorted(entries: list[tuple[str, FileStat, str]], opts: Options) -> list[tuple[str, FileStat, str]]:
    if "t" in opts:
        entries = sorted(entries, key=lambda e: (-e[1].mtime, e[0]))
    elif "S" in opts:
        entries = sorted(entries, key=lambda e: (-e[1].size, e[0]))
    else:
        entries = sorted(entries, key=lambda e: e[0])
    return entries[::-1] if "r" in opts else entries


def _render(fs: FileSystem, entries: list[tuple[str, FileStat, str]], opts: Options) -> list[str]:
    def suffix(info: FileStat) -> str:
        if "F" not in opts and "p" not in opts:
            return ""
        if info.is_dir:
            return "/"
        if "F" in opts and st_mod.S_ISLNK(info.mode):
            return "@"
        if "F" in opts and info.mode & 0o111:
            return "*"
        return ""

    if "l" not in opts and "n" not in opts:
        prefix = (lambda s: f"{s.ino} ") if "i" in opts else (lambda s: "")
        return [f"{prefix(s)}{n}{suffix(s)}" for n, s, _ in entries]
    if not entries:
        return []
    numeric = "n" in opts
    rows = []
    for name, info, path in entries:
        owner = str(info.uid) if numeric else user_name(info.uid)
        group = str(info.gid) if numeric else user_name(info.gid)
        shown = name + suffix(info)
        if st_mod.S_ISLNK(info.mode):
            with contextlib.suppress(FsError):
                shown += " -> " + fs.readlink(path)
        rows.append((mode_string(info.mode), str(info.nlink), owner, group, str(info.size),
                     _time(info.mtime), shown, info.ino))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for mode, nlink, owner, group, size, when, shown, ino in rows:
        inode = f"{ino} " if "i" in opts else ""
        lines.append(f"{inode}{mode} {nlink:>{widths[1]}} {owner:<{widths[2]}} {group:<{widths[3]}} "
                     f"{size:>{widths[4]}} {when} {shown}")
    return lines


# -- rm / rmdir / mkdir / touch / chmod -------------------------------------------------------------
@command("rm")
async def rm(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "rRfiv")
    if opts is None:
        return 1
    fs = ctx.device.fs
    force, recursive = "f" in opts, "r" in opts or "R" in opts
    if not opts.operands and not force:
        return await ctx.fail("Needs 1 argument")
    status = 0
    for name in opts.operands:
        try:
            path = ctx.path(name)
            info = fs.lstat(path)
            if info.is_dir and not recursive:
                raise FsError(errno.EISDIR, path)
            check_write(fs, path, ctx.uid)
            fs.remove(path, recursive=recursive)
        except FsError as exc:
            if force and exc.errno == errno.ENOENT:
                continue
            status = await ctx.fail(f"{name}: {strerror(exc)}")
    return status


@command("rmdir")
async def rmdir(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "p")
    if opts is None:
        return 1
    fs = ctx.device.fs
    status = 0
    for name in opts.operands:
        try:
            path = ctx.path(name)
            if not fs.stat(path).is_dir:
                raise FsError(errno.ENOTDIR, path)
            check_write(fs, path, ctx.uid)
            fs.remove(path, directory=True)
        except FsError as exc:
            status = await ctx.fail(f"'{name}': {strerror(exc)}")
    return status


@command("mkdir")
async def mkdir(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "pvZ", "m")
    if opts is None:
        return 1
    if not opts.operands:
        return await ctx.fail("Needs 1 argument")
    fs = ctx.device.fs
    try:
        mode = int(opts.value("m") or "771", 8)
    except ValueError:
        return await ctx.fail(f"bad mode '{opts.value('m')}'")
    status = 0
    for name in opts.operands:
        try:
            path = ctx.path(name)
            if "p" in opts and fs.exists(path):
                if not fs.stat(path).is_dir:
                    raise FsError(errno.EEXIST, path)
                continue
            _check_create(fs, path, ctx.uid, parents="p" in opts)
            fs.mkdir(path, parents="p" in opts, mode=mode, uid=ctx.uid)
        except FsError as exc:
            status = await ctx.fail(f"'{name}': {strerror(exc)}")
    return status


def _check_create(fs: FileSystem, path: str, uid: int, *, parents: bool) -> None:
    """Check write access where the first missing directory of ``path`` would be created."""
    target = path
    if parents:
        while not fs.exists(posixpath.dirname(target) or "/") and target not in ("", "/"):
            target = posixpath.dirname(target)
    check_write(fs, target, uid)


@command("touch")
async def touch(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "acmh", "dtr")
    if opts is None:
        return 1
    fs = ctx.device.fs
    status = 0
    for name in opts.operands:
        try:
            path = ctx.path(name)
            check_write(fs, path, ctx.uid)
            if fs.exists(path):
                fs.touch(path)
            elif "c" not in opts:
                fs.write_file(path, b"", mode=0o666, uid=ctx.uid)
        except FsError as exc:
            status = await ctx.fail(f"'{name}': {strerror(exc)}")
    return status


@command("chmod")
async def chmod(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "Rfv")
    if opts is None:
        return 1
    if len(opts.operands) < 2:
        return await ctx.fail("Needs 2 arguments")
    spec, *names = opts.operands
    fs = ctx.device.fs
    status = 0
    for name in names:
        try:
            path = ctx.path(name)
            info = fs.stat(path)
            if ctx.uid not in (0, info.uid):
                raise FsError(errno.EPERM, path)
            paths = _walk(fs, path) if "R" in opts else [path]
            for p in paths:
                fs.chmod(p, _new_mode(spec, fs.stat(p).mode))
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
        except ValueError:
            return await ctx.fail(f"bad mode '{spec}'")
    return status


def _new_mode(spec: str, mode: int) -> int:
    """Octal (``755``) or symbolic (``u+x,go-w``, ``+x``, ``a=r``) mode changes."""
    if spec.isdigit():
        return int(spec, 8)
    current = mode & 0o7777
    for clause in spec.split(","):
        i = 0
        who = ""
        while i < len(clause) and clause[i] in "ugoa":
            who += clause[i]
            i += 1
        if i >= len(clause) or clause[i] not in "+-=":
            raise ValueError(spec)
        op, perms = clause[i], clause[i + 1:]
        mask = 0
        for who_c in who or "a":
            shifts = {"u": (6,), "g": (3,), "o": (0,), "a": (6, 3, 0)}[who_c]
            for shift in shifts:
                for p in perms:
                    bit = {"r": 4, "w": 2, "x": 1}.get(p)
                    if bit is None:
                        raise ValueError(spec)
                    mask |= bit << shift
        if op == "+":
            current |= mask
        elif op == "-":
            current &= ~mask
        else:
            clear = 0
            for who_c in who or "a":
                for shift in {"u": (6,), "g": (3,), "o": (0,), "a": (6, 3, 0)}[who_c]:
                    clear |= 7 << shift
            current = (current & ~clear) | mask
    return current


def _walk(fs: FileSystem, path: str) -> list[str]:
    out = [path]
    if fs.stat(path).is_dir:
        for name, _ in fs.listdir(path):
            out.extend(_walk(fs, posixpath.join(path, name)))
    return out


# -- checksums --------------------------------------------------------------------------------------
def _hasher(name: str):
    return {"md5sum": hashlib.md5, "sha1sum": hashlib.sha1, "sha256sum": hashlib.sha256,
            "sha512sum": hashlib.sha512}[name]


@command("md5sum", "sha1sum", "sha256sum", "sha512sum")
async def checksum(ctx: CommandContext) -> int:
    """``HASH  NAME`` per file (two spaces, like coreutils/toybox); ``-b`` prints only the hash."""
    opts = await _opts(ctx, "bcs")
    if opts is None:
        return 1
    new = _hasher(ctx.name)
    status = 0
    for name in opts.operands or ["-"]:
        try:
            data = await read_input(ctx, name)
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
            continue
        digest = new(data).hexdigest()
        await ctx.out(f"{digest}\n" if "b" in opts else f"{digest}  {name}\n")
    return status


# -- stat -------------------------------------------------------------------------------------------
_FILE_TYPES = {st_mod.S_IFREG: "regular file", st_mod.S_IFDIR: "directory", st_mod.S_IFLNK: "symbolic link"}


@command("stat")
async def stat(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "LtfF", "c")
    if opts is None:
        return 1
    if not opts.operands:
        return await ctx.fail("Needs 1 argument")
    fs = ctx.device.fs
    fmt = opts.value("c")
    status = 0
    for name in opts.operands:
        try:
            path = ctx.path(name)
            info = fs.stat(path) if "L" in opts else fs.lstat(path)
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}")
            continue
        if fmt is None:
            fmt_default = ("  File: %N\n  Size: %s\t Blocks: %b\t IO Blocks: 4096\t%F\n"
                           "Device: fd00h/64768d\t Inode: %i\t Links: %h\n"
                           "Access: (%a/%A)\tUid: (%5u/%8U)\tGid: (%5g/%8G)\n"
                           "Access: %x\nModify: %y\nChange: %z")
            await ctx.out(_stat_format(fmt_default, name, info, fs, path) + "\n")
        else:
            await ctx.out(_stat_format(fmt, name, info, fs, path) + "\n")
    return status


def _stat_format(fmt: str, name: str, info: FileStat, fs: FileSystem, path: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000", time.gmtime(info.mtime))

    def expand(code: str) -> str | None:
        if code == "N":
            quoted = f"`{name}'"
            if st_mod.S_ISLNK(info.mode):
                quoted += f" -> `{fs.readlink(path)}'"
            return quoted
        return {
            "n": name, "s": str(info.size), "b": str(_blocks(info) * 2), "F": _FILE_TYPES.get(
                st_mod.S_IFMT(info.mode), "unknown"),
            "i": str(info.ino), "h": str(info.nlink), "a": f"{info.mode & 0o7777:o}",
            "A": mode_string(info.mode), "u": str(info.uid), "U": user_name(info.uid), "g": str(info.gid),
            "G": user_name(info.gid), "x": stamp, "y": stamp, "z": stamp, "X": str(info.mtime),
            "Y": str(info.mtime), "Z": str(info.mtime), "f": f"{info.mode:x}", "%": "%",
        }.get(code)

    return expand_codes(fmt, expand)


# -- cp / mv / ln -----------------------------------------------------------------------------------
def _copy_tree(fs: FileSystem, src: str, dst: str, uid: int) -> None:
    info = fs.stat(src)
    if info.is_dir:
        if not fs.exists(dst):
            fs.mkdir(dst, mode=info.mode & 0o7777, uid=uid)
        for name, _ in fs.listdir(src):
            _copy_tree(fs, posixpath.join(src, name), posixpath.join(dst, name), uid)
    else:
        fs.write_file(dst, fs.read_file(src), mode=info.mode & 0o7777, uid=uid)


async def _transfer(ctx: CommandContext, move: bool) -> int:
    opts = await _opts(ctx, "rRfpaivdnlsPHLTu")
    if opts is None:
        return 1
    if len(opts.operands) < 2:
        return await ctx.fail("Needs 2 arguments")
    fs = ctx.device.fs
    *sources, dest = opts.operands
    dest_path = ctx.path(dest)
    dest_is_dir = fs.exists(dest_path) and fs.stat(dest_path).is_dir
    if len(sources) > 1 and not dest_is_dir:
        return await ctx.fail(f"'{dest}' not directory")
    recursive = move or bool({"r", "R", "a"} & opts.flags)
    status = 0
    for name in sources:
        try:
            src = ctx.path(name)
            info = fs.stat(src)
            target = posixpath.join(dest_path, posixpath.basename(src)) if dest_is_dir else dest_path
            if info.is_dir and not recursive:
                status = await ctx.fail(f"'{name}': Is a directory (not copied)" if not move else name)
                continue
            if target == src or target.startswith(src + "/"):
                status = await ctx.fail(f"'{name}': same file" if target == src
                                        else f"can't {'move' if move else 'copy'} '{name}' into itself")
                continue
            check_write(fs, target, ctx.uid)
            if move:
                check_write(fs, src, ctx.uid)
                if fs.exists(target) and fs.stat(target).is_dir != info.is_dir:
                    raise FsError(errno.EISDIR if fs.stat(target).is_dir else errno.ENOTDIR, target)
                if fs.exists(target):
                    fs.remove(target, recursive=True)
            _copy_tree(fs, src, target, ctx.uid)
            if move:
                fs.remove(src, recursive=True)
        except FsError as exc:
            status = await ctx.fail(f"{name}: {strerror(exc)}" if exc.errno == errno.ENOENT
                                    else f"'{name}': {strerror(exc)}")
    return status


@command("cp")
async def cp(ctx: CommandContext) -> int:
    return await _transfer(ctx, move=False)


@command("mv")
async def mv(ctx: CommandContext) -> int:
    return await _transfer(ctx, move=True)


@command("ln")
async def ln(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "sfnTv")
    if opts is None:
        return 1
    if "s" not in opts:
        return await ctx.fail("hard links are not supported on this device")
    if len(opts.operands) != 2:
        return await ctx.fail("Needs 2 arguments")
    target, name = opts.operands
    fs = ctx.device.fs
    try:
        path = ctx.path(name)
        if fs.exists(path) and fs.stat(path).is_dir:
            path = posixpath.join(path, posixpath.basename(target))
        check_write(fs, path, ctx.uid)
        if "f" in opts and (fs.exists(path) or _is_link(fs, path)):
            fs.remove(path)
        fs.symlink(target, path)
    except FsError as exc:
        return await ctx.fail(f"cannot create symlink '{name}': {strerror(exc)}")
    return 0


def _is_link(fs: FileSystem, path: str) -> bool:
    try:
        return st_mod.S_ISLNK(fs.lstat(path).mode)
    except FsError:
        return False


@command("readlink", "realpath")
async def readlink(ctx: CommandContext) -> int:
    opts = await _opts(ctx, "fenqmz")
    if opts is None:
        return 1
    fs = ctx.device.fs
    status = 0
    canonical = ctx.name == "realpath" or bool({"f", "e", "m"} & opts.flags)
    for name in opts.operands:
        try:
            path = ctx.path(name)
            result = _canonical(fs, path) if canonical else fs.readlink(path)
        except FsError as exc:
            if ctx.name == "realpath":
                status = await ctx.fail(f"{name}: {strerror(exc)}")
            else:
                status = 1
            continue
        await ctx.out(result + ("" if "n" in opts else "\n"))
    return status


def _canonical(fs: FileSystem, path: str, depth: int = 0) -> str:
    if depth > 8:
        raise FsError(errno.ELOOP, path)
    out = "/"
    for part in [p for p in path.split("/") if p]:
        candidate = posixpath.join(out, part)
        if _is_link(fs, candidate):
            target = posixpath.normpath(posixpath.join(out, fs.readlink(candidate)))
            candidate = _canonical(fs, target, depth + 1)
        out = candidate
    fs.stat(out)
    return out


@command("basename")
async def basename(ctx: CommandContext) -> int:
    if not ctx.args:
        return await ctx.fail("Needs 1 argument")
    name = posixpath.basename(ctx.args[0].rstrip("/")) or "/"
    if len(ctx.args) > 1 and name.endswith(ctx.args[1]) and name != ctx.args[1]:
        name = name[: -len(ctx.args[1])]
    await ctx.out(name + "\n")
    return 0


@command("dirname")
async def dirname(ctx: CommandContext) -> int:
    if not ctx.args:
        return await ctx.fail("Needs 1 argument")
    for arg in ctx.args:
        await ctx.out((posixpath.dirname(arg.rstrip("/")) or ("/" if arg.startswith("/") else ".")) + "\n")
    return 0
