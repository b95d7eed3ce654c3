"""How a lab captures each call's traffic: the ``[capture]`` table of the app profile (or given directly).

::

    [capture]
    mode = "device"          # "off" | "device": su 0 tcpdump on the device, streamed by adb exec-out
                             #       | "host": dumpcap/tshark on a host interface bridging the device's Wi-Fi
    interface = "any"        # tcpdump -i (device) or dumpcap -i (host), e.g. "br-lab0"
    tool = "dumpcap"         # host mode: "dumpcap" or "tshark"
    filter = "udp"           # capture filter; "" captures everything
    device_ip = ""           # host mode: the device's address, so the analysis knows which way is "sent"
    start_timeout_s = 5      # how long to wait for the capture to be running
    required = false         # true: a capture that cannot start is a lab error instead of a warning
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError

MODES = ("off", "device", "host")
TOOLS = ("dumpcap", "tshark")


@dataclass(frozen=True)
class CaptureConfig:
    mode: str = "off"
    interface: str = "any"
    tool: str = "dumpcap"
    filter: str = "udp"
    device_ip: str | None = None
    start_timeout_s: float = 5.0
    required: bool = False

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


def capture_config(profile: Any) -> CaptureConfig:
    """The ``[capture]`` table of an app profile (:class:`harness.config.app_profile.AppProfile`); off if absent."""
    return parse_capture(getattr(profile, "raw", {}).get("capture"), getattr(profile, "source", "<profile>"))


def parse_capture(table: Any, source: str = "<capture>") -> CaptureConfig:
    """Validate a ``[capture]`` table; errors name the file and the key."""
    if table is None:
        return CaptureConfig()
    if not isinstance(table, dict):
        raise ConfigError(source, "capture", "expected a table [capture]")
    known = {"mode", "interface", "tool", "filter", "device_ip", "start_timeout_s", "required"}
    for key in table:
        if key not in known:
            raise ConfigError(source, f"capture.{key}", f"unknown key; known: {', '.join(sorted(known))}")

    def text(key: str, default: str, choices: tuple[str, ...] = ()) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise ConfigError(source, f"capture.{key}", f"expected a string, got {value!r}")
        if choices and value not in choices:
            raise ConfigError(source, f"capture.{key}", f"expected one of {', '.join(choices)}, got {value!r}")
        if any(c in value for c in "'\"`$;&|\n") and key != "filter":
            raise ConfigError(source, f"capture.{key}", f"must not contain quotes or shell characters: {value!r}")
        return value

    mode = text("mode", "off", MODES)
    filt = text("filter", "udp")
    if any(c in filt for c in "'\"`$;&|\n\\"):
        raise ConfigError(source, "capture.filter", f"must not contain quotes or shell characters: {filt!r}")
    timeout = table.get("start_timeout_s", 5.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
        raise ConfigError(source, "capture.start_timeout_s", f"expected seconds, 0 < x <= 120, got {timeout!r}")
    required = table.get("required", False)
    if not isinstance(required, bool):
        raise ConfigError(source, "capture.required", f"expected true or false, got {required!r}")
    device_ip = text("device_ip", "") or None
    return CaptureConfig(mode=mode, interface=text("interface", "any" if mode != "host" else "lo"),
                         tool=text("tool", "dumpcap", TOOLS), filter=filt, device_ip=device_ip,
                         start_timeout_s=float(timeout), required=required)
