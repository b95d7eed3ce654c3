"""adbd's services: the names a host OPENs and the code that serves each stream.

:func:`open_service` is asked at OPEN time, so a service that cannot be served (an unknown name, a device
port nobody listens on) is refused with CLSE before the stream exists, exactly as adbd refuses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from . import abb, reboot, remount, restart, reverse, shell, sync, tcp
from . import exec as exec_service

if TYPE_CHECKING:
    from simulator.adb.stream import AdbStream
    from simulator.device import SimDevice

ServiceRunner = Callable[["AdbStream"], Awaitable[None]]


def open_service(device: SimDevice, name: str) -> ServiceRunner | None:
    """The coroutine that serves ``name`` on a new stream, or None to refuse it."""
    if name == "shell" or name.startswith(("shell:", "shell,")):
        return shell.resolve(device, name)
    if name.startswith("exec:"):
        return exec_service.resolve(device, name)
    if name == "sync:":
        return sync.resolve(device, name)
    if name.startswith("tcp:"):
        return tcp.resolve(device, name)
    if name.startswith("reboot:"):
        return reboot.resolve(device, name)
    if name.startswith(("root:", "unroot:")):
        return restart.resolve(device, name)
    if name.startswith("tcpip:"):
        return restart.resolve_tcpip(device, name)
    if name.startswith("remount:"):
        return remount.resolve(device, name)
    if name.startswith("reverse:"):
        return reverse.resolve(device, name)
    if name.startswith("abb_exec:"):
        return abb.resolve(device, name)
    return None
