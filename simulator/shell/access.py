"""Who may change what on the device file system, as the shell user sees it.

The in-memory file system stores owners and modes but checks nothing; a real device refuses
``echo x > /system/foo`` (read-only mount) or ``touch /data/data/x`` (other uid) as ``shell``, and a harness
that only works on the simulator because it writes there would fail in the lab. Commands call
:func:`check_write` before changing a path.
"""

from __future__ import annotations

import errno
import os
import posixpath

from simulator.fs import FileSystem, FsError
from simulator.shell.users import SHELL_GROUPS as SHELL_GROUP_IDS

READ_ONLY_MOUNTS = ("/system", "/vendor", "/product", "/apex", "/odm", "/system_ext")
# sdcardfs/FUSE grants the shell user write access under shared storage whatever the modes say.
SHARED_STORAGE = ("/storage/emulated", "/sdcard", "/mnt/sdcard")
SHELL_GROUPS = frozenset(SHELL_GROUP_IDS)


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root + "/") for root in roots)


def check_write(fs: FileSystem, path: str, uid: int) -> None:
    """Raise :class:`FsError` (EROFS / EACCES) if ``uid`` may not create, change or remove ``path``.

    The read-only mounts refuse everyone, root too, until ``adb remount``; then they are root's."""
    if _under(path, READ_ONLY_MOUNTS):
        if not (fs.system_writable and uid == 0):
            raise FsError(errno.EROFS if not fs.system_writable else errno.EACCES, path)
        return
    if uid == 0:
        return
    if path.startswith("/proc") or _under(path, SHARED_STORAGE):
        return
    parent = posixpath.dirname(path.rstrip("/")) or "/"
    try:
        st = fs.stat(parent)
    except FsError:
        return  # the caller's own operation reports the missing parent
    if st.uid == uid:
        allowed = st.mode & 0o200
    elif st.gid in SHELL_GROUPS and uid == 2000:
        allowed = st.mode & 0o020
    else:
        allowed = st.mode & 0o002
    if not allowed:
        raise FsError(errno.EACCES, path)


def strerror(exc: OSError) -> str:
    """The libc text for an error (``Read-only file system``), also for errnos ``fs`` has no text for."""
    return os.strerror(exc.errno) if exc.errno else str(exc)
