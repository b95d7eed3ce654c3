"""How a lab captures each call's traffic: the ``[capture]`` table of the app profile (or given directly).

::

    [capture]
    mode = "device"          # "off" | "device": su 0 tcpdump on the device, streamed by adb exec-out
                             #       | "host": dumpcap/tshark on a host interface bridging the device's Wi-Fi
    interface = "any"        # tcpdump -i (device; default "any") or dumpcap -i (host: required, e.g. "br-lab0";
                             # no default, because only the lab knows which interface carries the device's traffic)
    tool = "dumpcap"         # host mode: "dumpcap" or "tshark"
    filter = "udp"           # capture filter; "" captures everything
    device_ip = ""           # host mode: the device's address, so the analysis knows which way is "sent"
    start_timeout_s = 5      # how long to wait for the capture to be running
    required = false         # true: a capture that cannot start is a lab error instead of a warning
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import model_validator

from harness.config.schema import KeyedError, Schema, matching, one_of, validate
from harness.errors import ConfigError

MODES = ("off", "device", "host")
TOOLS = ("dumpcap", "tshark")
_SHELL = "'\"`$;&|\n"


def _plain(value: str) -> bool:
    return not any(c in value for c in _SHELL)


Plain = Annotated[str, matching(_plain, "must not contain quotes or shell characters")]


class CaptureConfig(Schema):
    """``[capture]``: where and how each call's packets are recorded."""

    mode: Annotated[str, one_of(*MODES)] = "off"
    interface: Plain | None = None
    tool: Annotated[str, one_of(*TOOLS)] = "dumpcap"
    filter: Annotated[str, matching(lambda s: _plain(s) and "\\" not in s,
                                    "must not contain quotes or shell characters")] = "udp"
    device_ip: Plain | None = None
    start_timeout_s: Annotated[float, matching(lambda x: 0 < x <= 120, "seconds, 0 < x <= 120")] = 5.0
    required: bool = False

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if data.get("device_ip") == "":
                data.pop("device_ip")
            if data.get("mode", "off") != "host" and "interface" not in data:
                data["interface"] = "any"  # tcpdump -i any on the device sees every interface
        return data

    @model_validator(mode="after")
    def _host_needs_interface(self) -> CaptureConfig:
        if self.mode == "host" and not self.interface:
            raise KeyedError("interface", "a host capture needs a named interface (the one carrying the device's "
                                          "traffic, e.g. br-lab0); none is assumed")
        return self

    @property
    def enabled(self) -> bool:
        return self.mode != "off"


def capture_config(profile: Any) -> CaptureConfig:
    """The ``[capture]`` table of an app profile (:class:`harness.config.app_profile.AppProfile`); off if absent."""
    return getattr(profile, "capture", None) or CaptureConfig()


def parse_capture(table: Any, source: str = "<capture>") -> CaptureConfig:
    """Validate a ``[capture]`` table; errors name the file and the key (``capture.x``)."""
    if table is None:
        return CaptureConfig()
    return validate(table, CaptureConfig, source, ConfigError, prefix="capture")
