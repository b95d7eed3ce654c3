"""Component names (``pkg/.Activity``) in the two spellings Android prints.

``ComponentName.flattenToShortString`` (``com.x/.Main``) appears in ``am`` output, ActivityRecords and
``Window.activity``; the full class (``com.x/com.x.Main``) appears in ``mCurrentFocus=Window{...}`` and the
``Start proc`` log line. Parsing follows ``ComponentName.unflattenFromString``: only a leading dot is
expanded, so ``com.x/Main`` names a class called ``Main``.
"""

from __future__ import annotations

from simulator.errors import SimulatorError


class ComponentError(SimulatorError, ValueError):
    """Not a ``package/class`` component name."""


def split(component: str) -> tuple[str, str]:
    """``"com.x/.Main"`` → ``("com.x", "com.x.Main")`` (the full class name)."""
    pkg, slash, cls = component.partition("/")
    if not slash or not pkg or not cls:
        raise ComponentError(f"bad component name {component!r}: expected package/class such as com.x/.Main")
    return pkg, (pkg + cls if cls.startswith(".") else cls)


def full(component: str) -> str:
    pkg, cls = split(component)
    return f"{pkg}/{cls}"


def short(component: str) -> str:
    pkg, cls = split(component)
    if cls.startswith(pkg + ".") and len(cls) > len(pkg) + 1:
        return f"{pkg}/{cls[len(pkg):]}"
    return f"{pkg}/{cls}"


def make(package: str, activity: str) -> str:
    """Short form of ``activity`` (``.Main`` or ``com.x.Main``) in ``package``."""
    return short(f"{package}/{activity}")


def format_uid(uid: int) -> str:
    """``UserHandle.formatUid``: ``u0a90`` for app uids, the number for system ones."""
    if uid < 10000:
        return str(uid)
    return f"u0a{uid % 100000 - 10000}"
