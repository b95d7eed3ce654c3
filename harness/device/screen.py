"""The device's screen and identity as evidence: a PNG screenshot and the facts the report's device table shows.

Device-layer functions over a session (mobly's ``take_screenshot`` returns a path the test records): the call
layer decides when to take them and where the result goes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from harness.device.wmpf import wmpf_state
from harness.redact import redact_text

if TYPE_CHECKING:
    from harness.device.session import DeviceSession

log = logging.getLogger("harness.device.screen")

SCREENCAP_TIMEOUT_S = 10.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DETAIL_PROPS = (("manufacturer", "ro.product.manufacturer"), ("android", "ro.build.version.release"),
                ("sdk", "ro.build.version.sdk"), ("build", "ro.build.type"))


def screencap(session: DeviceSession, timeout_s: float = SCREENCAP_TIMEOUT_S) -> bytes:
    """The device's screen as PNG bytes, through ``exec:`` (raw: no pty mangles the bytes)."""
    conn = session.device.open_transport(timeout=timeout_s)
    try:
        conn.send_command("exec:screencap -p")
        conn.check_okay()
        data = conn.read_until_close(encoding=None)
    finally:
        conn.close()
    if not isinstance(data, bytes) or not data.startswith(PNG_MAGIC):
        head = (data[:80] if isinstance(data, bytes) else str(data)[:80].encode()).decode("utf-8", "replace")
        raise OSError(f"screencap -p did not return a PNG: {head!r}")
    return data


def device_details(session: DeviceSession, wmpf_package: str, host_package: str | None = None) -> dict[str, str]:
    """What the report's device table shows beyond serial and model (read once per device), redacted.

    A property or WMPF probe that fails is left out and logged: evidence never fails a call."""
    details: dict[str, str] = {}
    for key, prop in DETAIL_PROPS:
        try:
            details[key] = session.prop(prop)
        except Exception as exc:
            log.info("device property %s of %s: %s", prop, session.serial, exc)
    try:
        state = wmpf_state(session, wmpf_package)
        if state.version_name:
            details["wmpf_version"] = f"{state.version_name} ({state.version_code})"
    except Exception as exc:
        log.info("WMPF version of %s: %s", session.serial, exc)
    if host_package:  # the build label a trend groups by is WMPF's and the host app's versions
        try:
            host = wmpf_state(session, host_package)
            if host.version_name:
                details["host_app_version"] = f"{host.version_name} ({host.version_code})"
        except Exception as exc:
            log.info("host app version of %s: %s", session.serial, exc)
    return {k: redact_text(v) for k, v in details.items() if v}
