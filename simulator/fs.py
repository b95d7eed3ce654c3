"""The device's file system: an in-memory tree with Android's layout.

Only what a harness touches exists (``/data/local/tmp``, ``/sdcard`` → ``/storage/emulated/0``,
``/system/bin``, ``/proc``-free). Errors carry errno values because the sync protocol sends them to the
host (STA2's error field, FAIL messages) and the shell prints them the way toybox does.
"""

from __future__ import annotations

import errno
import posixpath
import stat as st
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class FsError(OSError):
    """A file-system call failed; ``errno`` and ``strerror`` are what a real device would report."""

    def __init__(self, code: int, path: str) -> None:
        super().__init__(code, _STRERROR.get(code, errno.errorcode.get(code, "error")), path)


_STRERROR = {
    errno.ENOENT: "No such file or directory",
    errno.EEXIST: "File exists",
    errno.ENOTDIR: "Not a directory",
    errno.EISDIR: "Is a directory",
    errno.ENOTEMPTY: "Directory not empty",
    errno.EACCES: "Permission denied",
    errno.EINVAL: "Invalid argument",
    errno.ELOOP: "Too many symbolic links encountered",
    errno.EROFS: "Read-only file system",
}


@dataclass
class Node:
    mode: int
    mtime: int = field(default_factory=lambda: int(time.time()))
    uid: int = 2000
    gid: int = 2000
    data: bytearray = field(default_factory=bytearray)
    children: dict[str, Node] | None = None
    target: str | None = None  # symlink target
    ino: int = 0
    generate: Callable[[], bytes] | None = field(default=None, repr=False)  # procfs/sysfs: content on read
    list_children: Callable[[], dict[str, Node]] | None = field(default=None, repr=False)  # /proc: live entries

    @property
    def entries(self) -> dict[str, Node]:
        if self.list_children is not None:
            return self.list_children()
        return self.children or {}

    @property
    def is_dir(self) -> bool:
        return st.S_ISDIR(self.mode)

    @property
    def is_link(self) -> bool:
        return st.S_ISLNK(self.mode)

    @property
    def size(self) -> int:
        if self.is_dir:
            return 4096
        if self.is_link:
            return len(self.target or "")
        if self.generate is not None:
            return 0  # like procfs: the size is unknown until read
        return len(self.data)


@dataclass(frozen=True)
class FileStat:
    mode: int
    size: int
    mtime: int
    uid: int
    gid: int
    ino: int
    nlink: int

    @property
    def is_dir(self) -> bool:
        return st.S_ISDIR(self.mode)


class FileSystem:
    """Paths are absolute after ``resolve``; relative paths are taken from ``cwd``."""

    def __init__(self) -> None:
        self.system_writable = False  # `adb remount` done: /system, /vendor, ... accept root's writes
        self._next_ino = 1
        self.root = self._node(st.S_IFDIR | 0o755, uid=0, gid=0)
        for path, mode, owner in (
            ("/system/bin", 0o755, 0), ("/system/app", 0o755, 0), ("/vendor", 0o755, 0),
            ("/data/local/tmp", 0o771, 2000), ("/data/app", 0o771, 1000), ("/data/data", 0o771, 1000),
            ("/storage/emulated/0/Android/data", 0o771, 1023), ("/storage/emulated/0/Download", 0o771, 1023),
            ("/storage/emulated/0/DCIM", 0o771, 1023), ("/dev", 0o755, 0), ("/proc", 0o555, 0),
            ("/cache", 0o770, 1000), ("/etc", 0o755, 0),
        ):
            self.mkdir(path, parents=True, mode=mode, uid=owner)
        self.symlink("/storage/emulated/0", "/sdcard")
        self.write_file("/system/bin/sh", b"\x7fELF", mode=0o755, uid=0)
        self.write_file("/system/build.prop", b"", mode=0o644, uid=0)

    def _node(self, mode: int, **kw) -> Node:
        node = Node(mode=mode, ino=self._next_ino, **kw)
        if st.S_ISDIR(mode):
            node.children = {}
        self._next_ino += 1
        return node

    # -- lookup ---------------------------------------------------------------------------------
    @staticmethod
    def normalize(path: str, cwd: str = "/") -> str:
        if not path:
            raise FsError(errno.ENOENT, path)
        return posixpath.normpath(posixpath.join(cwd, path)).replace("//", "/")

    def _walk(self, path: str, follow_last: bool = True, depth: int = 0) -> Node:
        if depth > 8:
            raise FsError(errno.ELOOP, path)
        node = self.root
        parts = [p for p in path.split("/") if p]
        for i, part in enumerate(parts):
            if not node.is_dir:
                raise FsError(errno.ENOTDIR, path)
            child = node.entries.get(part)
            if child is None:
                raise FsError(errno.ENOENT, path)
            last = i == len(parts) - 1
            if child.is_link and (follow_last or not last):
                target = posixpath.join("/" + "/".join(parts[:i]), child.target or "")
                child = self._walk(posixpath.normpath(target), True, depth + 1)
            node = child
        return node

    def _parent(self, path: str) -> tuple[Node, str]:
        parent_path, name = posixpath.split(path.rstrip("/") or "/")
        if not name:
            raise FsError(errno.EEXIST, path)
        parent = self._walk(parent_path)
        if not parent.is_dir:
            raise FsError(errno.ENOTDIR, path)
        return parent, name

    def _stat(self, node: Node) -> FileStat:
        nlink = 2 + sum(1 for c in node.entries.values() if c.is_dir) if node.is_dir else 1
        return FileStat(mode=node.mode, size=node.size, mtime=node.mtime, uid=node.uid, gid=node.gid,
                        ino=node.ino, nlink=nlink)

    # -- queries --------------------------------------------------------------------------------
    def exists(self, path: str) -> bool:
        try:
            self._walk(path)
        except FsError:
            return False
        return True

    def stat(self, path: str) -> FileStat:
        return self._stat(self._walk(path))

    def lstat(self, path: str) -> FileStat:
        return self._stat(self._walk(path, follow_last=False))

    def listdir(self, path: str) -> list[tuple[str, FileStat]]:
        node = self._walk(path)
        if not node.is_dir:
            raise FsError(errno.ENOTDIR, path)
        return [(name, self._stat(child)) for name, child in sorted(node.entries.items())]

    def read_file(self, path: str) -> bytes:
        node = self._walk(path)
        if node.is_dir:
            raise FsError(errno.EISDIR, path)
        if node.generate is not None:
            return node.generate()
        return bytes(node.data)

    def readlink(self, path: str) -> str:
        node = self._walk(path, follow_last=False)
        if not node.is_link:
            raise FsError(errno.EINVAL, path)
        return node.target or ""

    # -- virtual file systems (procfs, sysfs) ---------------------------------------------------------
    def virtual_file(self, generate: Callable[[], bytes], mode: int = 0o444, uid: int = 0) -> Node:
        """A detached file node whose content is made on each read (mount it with :meth:`mount`)."""
        node = self._node(st.S_IFREG | mode, uid=uid, gid=uid)
        node.generate = generate
        return node

    def virtual_dir(self, children: dict[str, Node] | Callable[[], dict[str, Node]], mode: int = 0o555,
                    uid: int = 0) -> Node:
        """A detached directory node: fixed children, or a function listing them on each lookup."""
        node = self._node(st.S_IFDIR | mode, uid=uid, gid=uid)
        if callable(children):
            node.list_children = children
        else:
            node.children = dict(children)
        return node

    def virtual_link(self, target: str) -> Node:
        node = self._node(st.S_IFLNK | 0o777, uid=0, gid=0)
        node.target = target
        return node

    def mount(self, path: str, node: Node) -> None:
        """Put ``node`` at ``path`` (replacing what is there), like mounting procfs or sysfs."""
        parent, name = self._parent(path)
        assert parent.children is not None
        parent.children[name] = node

    # -- changes --------------------------------------------------------------------------------
    def write_file(self, path: str, data: bytes, *, mode: int | None = None, mtime: int | None = None,
                   append: bool = False, uid: int = 2000) -> None:
        try:
            node = self._walk(path)
        except FsError as exc:
            if exc.errno != errno.ENOENT:
                raise
            parent, name = self._parent(path)
            assert parent.children is not None
            node = self._node(st.S_IFREG | (0o644 if mode is None else mode & 0o7777), uid=uid, gid=uid)
            parent.children[name] = node
        else:
            if node.is_dir:
                raise FsError(errno.EISDIR, path)
            if mode is not None:
                node.mode = st.S_IFREG | (mode & 0o7777)
        if append:
            node.data += data
        else:
            node.data = bytearray(data)
        node.mtime = int(time.time()) if mtime is None else mtime

    def touch(self, path: str) -> None:
        if self.exists(path):
            self._walk(path).mtime = int(time.time())
        else:
            self.write_file(path, b"")

    def mkdir(self, path: str, *, parents: bool = False, mode: int = 0o771, uid: int = 2000) -> None:
        if parents:
            current = ""
            for part in [p for p in path.split("/") if p]:
                current += "/" + part
                if not self.exists(current):
                    self.mkdir(current, mode=mode, uid=uid)
                elif not self._walk(current).is_dir:
                    raise FsError(errno.ENOTDIR, current)
            return
        parent, name = self._parent(path)
        assert parent.children is not None
        if name in parent.children:
            raise FsError(errno.EEXIST, path)
        parent.children[name] = self._node(st.S_IFDIR | (mode & 0o7777), uid=uid, gid=uid)

    def symlink(self, target: str, path: str) -> None:
        parent, name = self._parent(path)
        assert parent.children is not None
        if name in parent.children:
            raise FsError(errno.EEXIST, path)
        node = self._node(st.S_IFLNK | 0o777, uid=0, gid=0)
        node.target = target
        parent.children[name] = node

    def remove(self, path: str, *, recursive: bool = False, directory: bool = False) -> None:
        parent, name = self._parent(path)
        assert parent.children is not None
        node = parent.children.get(name)
        if node is None:
            raise FsError(errno.ENOENT, path)
        if node.is_dir and not (recursive or directory):
            raise FsError(errno.EISDIR, path)
        if node.is_dir and node.children and not recursive:
            raise FsError(errno.ENOTEMPTY, path)
        del parent.children[name]

    def chmod(self, path: str, mode: int) -> None:
        node = self._walk(path)
        node.mode = st.S_IFMT(node.mode) | (mode & 0o7777)
