"""What a device is, as its maker decides: its SN (where WMPF reads it) and whether root is available.

The SN a device registers with WMPF, and that the caller names as ``listenerId``, is the device maker's choice:
a system property (``ro.serialno`` on many builds, a vendor property on others), a file, the output of a
command, or a value written down in the app profile. Root decides which lab steps exist (``kill -9`` of another
app, device tcpdump, a cold start by killing): a production (user) build has none, and the harness falls back
or skips with the reason recorded instead of failing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.errors import LabError
from harness.shellquote import sh_quote

if TYPE_CHECKING:
    from harness.device.session import DeviceSession

SN_KINDS = ("property", "file", "command", "literal")


class IdentityError(LabError):
    """The device SN could not be read from the source the app profile names."""


def read_sn(session: DeviceSession, kind: str, value: str) -> str:
    """The SN from ``kind`` (property, file, command or literal); an empty answer is an error naming the source."""
    if kind == "literal":
        return value
    if kind == "property":
        sn = session.prop(value)
    elif kind == "file":
        sn = session.device.shell(f"cat {sh_quote(value)}", timeout=10)
    elif kind == "command":
        sn = session.device.shell(value, timeout=10)
    else:
        raise ValueError(f"unknown SN source {kind!r}; known: {', '.join(SN_KINDS)}")
    sn = (sn or "").strip()
    if not sn or "No such file" in sn or "not found" in sn:
        raise IdentityError(f"the device SN ({kind} {value!r}) is empty on {session.serial}: fix [device] sn in "
                            f"the app profile (got {sn!r})")
    return sn


def probe_root(session: DeviceSession) -> bool:
    """Whether ``su 0`` (or an ``adb root`` shell) gives uid 0."""
    for command in ("id -u", "su 0 id -u", "su -c 'id -u'"):
        result = session.device.shell2(command, timeout=10)
        if result.returncode == 0 and result.output.strip() == "0":
            return True
    return False
