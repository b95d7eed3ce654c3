"""``find`` (toybox): walk directories and print what matches ``-name``/``-iname``/``-path``/``-type``/
``-maxdepth``/``-mindepth``/``-newer``/``-size``, combined with AND (and ``-o``), ``-print``/``-print0``."""

from __future__ import annotations

import fnmatch
import posixpath
import stat as st

from simulator.fs import FileStat, FsError
from simulator.shell.api import CommandContext, command

TESTS_WITH_VALUE = {"-name", "-iname", "-path", "-ipath", "-type", "-maxdepth", "-mindepth", "-newer", "-size",
                    "-user", "-perm", "-mtime"}


def _type_ok(kind: str, info: FileStat) -> bool:
    mode = info.mode
    return {"f": st.S_ISREG(mode), "d": st.S_ISDIR(mode), "l": st.S_ISLNK(mode)}.get(kind, False)


def _size_ok(spec: str, size: int) -> bool:
    sign = spec[0] if spec[:1] in "+-" else ""
    body = spec[len(sign):]
    units = {"c": 1, "k": 1024, "M": 1024**2, "G": 1024**3}
    unit = units.get(body[-1:], 512)
    number = int(body.rstrip("ckMG") or 0)
    blocks = -(-size // unit)
    return blocks > number if sign == "+" else blocks < number if sign == "-" else blocks == number


@command("find")
async def find(ctx: CommandContext) -> int:
    args = list(ctx.args)
    roots = []
    while args and not args[0].startswith("-") and args[0] not in ("(", "!"):
        roots.append(args.pop(0))
    roots = roots or ["."]
    alternatives: list[list[tuple[str, str]]] = [[]]
    maxdepth, mindepth = None, 0
    separator = "\n"
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-o":
            alternatives.append([])
        elif arg == "-print0":
            separator = "\0"
        elif arg in ("-print", "-a", "-xdev", "-follow", "-L", "-H"):
            pass
        elif arg in TESTS_WITH_VALUE:
            if i + 1 >= len(args):
                return await ctx.fail(f"'{arg}' needs 1 arg")
            value = args[i + 1]
            if arg == "-maxdepth":
                maxdepth = int(value)
            elif arg == "-mindepth":
                mindepth = int(value)
            else:
                alternatives[-1].append((arg, value))
            i += 1
        else:
            return await ctx.fail(f"bad arg '{arg}'")
        i += 1
    fs = ctx.device.fs
    newer_cache: dict[str, int] = {}
    status = 0
    out: list[str] = []

    def matches(path: str, info: FileStat) -> bool:
        for tests in alternatives:
            ok = True
            for test, value in tests:
                name = posixpath.basename(path.rstrip("/")) or path
                if test == "-name":
                    ok = fnmatch.fnmatchcase(name, value)
                elif test == "-iname":
                    ok = fnmatch.fnmatchcase(name.lower(), value.lower())
                elif test == "-path":
                    ok = fnmatch.fnmatchcase(path, value)
                elif test == "-ipath":
                    ok = fnmatch.fnmatchcase(path.lower(), value.lower())
                elif test == "-type":
                    ok = _type_ok(value, info)
                elif test == "-size":
                    ok = _size_ok(value, info.size)
                elif test == "-newer":
                    if value not in newer_cache:
                        newer_cache[value] = fs.stat(ctx.path(value)).mtime
                    ok = info.mtime > newer_cache[value]
                else:
                    ok = True
                if not ok:
                    break
            if ok:
                return True
        return False

    def walk(shown: str, path: str, depth: int) -> None:
        nonlocal status
        try:
            info = fs.lstat(path)
        except FsError as exc:
            errors.append(f"find: {shown}: {exc.strerror}\n")
            status = 1
            return
        if depth >= mindepth and matches(shown, info):
            out.append(shown)
        if st.S_ISDIR(info.mode) and (maxdepth is None or depth < maxdepth):
            for name, _child in fs.listdir(path):
                walk(posixpath.join(shown, name), posixpath.join(path, name), depth + 1)

    errors: list[str] = []
    for root in roots:
        try:
            walk(root, ctx.path(root), 0)
        except FsError as exc:
            errors.append(f"find: {root}: {exc.strerror}\n")
            status = 1
    if out:
        await ctx.out(separator.join(out) + separator)
    if errors:
        await ctx.err("".join(errors))
    return status
