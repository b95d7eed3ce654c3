"""One device per pytest-xdist worker: each worker claims a distinct serial with an exclusive file lock.

With ``--serial A --serial B -n 2`` every worker runs the whole session fixture set, so without coordination
both would drive device A. A non-blocking exclusive ``fcntl.flock`` on a per-serial lock file gives each
worker the first free device; the kernel drops the lock if a worker crashes, so a re-run never finds a stale
claim. The lock files live in the user's private lock directory and are opened without following symlinks
(:mod:`harness.lockfiles`). (Simulated devices need no claim: each worker starts its own simulator on its own
ports.)
"""

from __future__ import annotations

import fcntl
import os
import re
from pathlib import Path

from harness.errors import LabError
from harness.lockfiles import open_lock


def worker_id() -> str | None:
    """``gw0``, ``gw1``... under xdist; None in a plain run."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def worker_index() -> int:
    """0 for the controller or a plain run, N for worker ``gwN``."""
    wid = worker_id() or ""
    m = re.fullmatch(r"gw(\d+)", wid)
    return int(m.group(1)) if m else 0


class DeviceClaim:
    """Holds the lock on one serial until :meth:`release` (or process exit)."""

    def __init__(self, serial: str, fd: int, name: str) -> None:
        self.serial, self._fd, self.name = serial, fd, name

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def _lock_name(serial: str) -> str:
    return "device-" + re.sub(r"[^A-Za-z0-9_.-]", "_", serial) + ".lock"


def claim_serial(serials: list[str], lock_dir: Path | None = None, *, prefer: int = 0) -> DeviceClaim:
    """Claim the first free serial, starting at index ``prefer`` (the worker index keeps claims stable).

    ``lock_dir`` defaults to the private per-user lock directory; whichever it is, it must be private.
    """
    if not serials:
        raise LabError("no device serials to claim")
    order = serials[prefer % len(serials):] + serials[:prefer % len(serials)]
    for serial in order:
        fd = open_lock(_lock_name(serial), lock_dir)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {worker_id() or 'main'}\n".encode())
        return DeviceClaim(serial, fd, _lock_name(serial))
    raise LabError(f"all {len(serials)} devices are claimed by other workers ({', '.join(serials)}); "
                   f"run with at most {len(serials)} xdist workers (-n {len(serials)})")
