"""Lock files in a private per-user directory, opened without following symlinks (the simulator's adb key lock).

A lock file in a shared, world-writable directory such as ``/tmp`` can be turned against us: another user can
create the directory first (and then read, delete or hold our locks), or plant a symlink with the lock's name
so that our ``open(O_CREAT)`` creates or truncates a file of their choosing with our rights. So every lock of
the harness lives in one directory that only this user can enter (``$XDG_RUNTIME_DIR/wmpf-hil``, else
``<tmp>/wmpf-hil-<uid>``), created with mode 0700. If it already exists it must be a real directory, owned by
this user, with no access for group or others; otherwise we refuse with a message instead of repairing it
(whoever made it wrong may still be holding it). The directory is opened with ``O_NOFOLLOW | O_DIRECTORY`` and
checked through that descriptor, and each lock file is opened relative to it with ``O_NOFOLLOW``, so no path
component can be swapped for a symlink between the check and the use. This is the simulator's twin of
``harness/lockfiles.py``: the two packages never import each other's internals.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from simulator.errors import SimulatorError

DIR_NAME = "wmpf-hil"


class UnsafeLockDir(SimulatorError, OSError):
    """The lock directory or a lock file could be reached or replaced by another user: refused, with why."""


def default_lock_dir() -> Path:
    """``$XDG_RUNTIME_DIR/wmpf-hil`` (a per-user tmpfs) when set, else ``<tmp>/wmpf-hil-<uid>``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_absolute() and Path(runtime).is_dir():
        return Path(runtime) / DIR_NAME
    return Path(tempfile.gettempdir()) / f"{DIR_NAME}-{os.geteuid()}"


def _check(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeLockDir(f"lock directory {path} is not a directory; remove it")
    if st.st_uid != os.geteuid():
        raise UnsafeLockDir(f"lock directory {path} belongs to uid {st.st_uid}, not to this user "
                            f"(uid {os.geteuid()}); another user may hold or read its locks: remove it, or set "
                            "XDG_RUNTIME_DIR to a private directory")
    if st.st_mode & 0o077:
        raise UnsafeLockDir(f"lock directory {path} has mode {stat.S_IMODE(st.st_mode):04o}: other users can "
                            f"enter it; `chmod 700 {path}` after checking nobody else uses it")


def _open_dir(path: Path) -> int:
    """A descriptor of ``path`` (created 0700 if missing), checked: a real directory, ours, private."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise UnsafeLockDir(f"cannot create the lock directory {path}: {exc.strerror}") from exc
    try:
        dfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeLockDir(f"lock directory {path} is a symlink or not a directory; refusing to follow "
                                "it: remove it") from exc
        raise UnsafeLockDir(f"cannot open the lock directory {path}: {exc.strerror}") from exc
    try:
        _check(path, os.fstat(dfd))
    except BaseException:
        os.close(dfd)
        raise
    return dfd


def private_dir(path: Path | None = None) -> Path:
    """The per-user lock directory (``path`` or :func:`default_lock_dir`), created or checked."""
    path = path or default_lock_dir()
    os.close(_open_dir(path))
    return path


def open_lock(name: str, directory: Path | None = None) -> int:
    """A read-write descriptor of the lock file ``name`` (created 0600) in the private lock directory.

    Never follows a symlink: a planted ``name -> /home/you/.bashrc`` is refused, not truncated.
    """
    if not name or "/" in name or name in (".", ".."):
        raise UnsafeLockDir(f"invalid lock file name {name!r}")
    directory = directory or default_lock_dir()
    dfd = _open_dir(directory)
    try:
        fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeLockDir(f"lock file {directory / name} is a symlink; refusing to follow it: remove it") \
                from exc
        raise UnsafeLockDir(f"cannot open the lock file {directory / name}: {exc.strerror}") from exc
    finally:
        os.close(dfd)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
        os.close(fd)
        raise UnsafeLockDir(f"lock file {directory / name} is not a regular file of this user; remove it")
    return fd
