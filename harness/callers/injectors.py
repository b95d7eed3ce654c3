"""Placing a call: through the (simulated) phone, or by broadcasting the push JSON to a debug build.

Both return a :class:`Placement` with the host instants bracketing the moment the call was placed, which is
where ``push_to_ring`` starts; its bound is half the bracket. The broadcast injector builds an
``am broadcast`` command whose payload is single-quoted for the device shell (:mod:`harness.shellquote`):
whatever the push contains, it arrives as one intact string and nothing in it runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from harness.callers.push import CallPush, parse_custom_query
from harness.errors import InjectionError
from harness.hostclock import HostBracket, host_ns
from harness.redact import redact_text
from harness.shellquote import sh_join

if TYPE_CHECKING:
    from harness.callers.phone import Phone
    from harness.config.app_profile import BroadcastConfig
    from harness.device.session import DeviceSession

log = logging.getLogger("harness.callers.injectors")

# adb's host protocol sends a service request ("shell:<command>", "shell,v2,raw:<command>") with a 4-hex-digit
# length: 65,535 bytes at most, or the server just closes the connection. adbutils' shell2 also appends
# "; echo X4EXIT:$?" to read the exit status. A longer command is refused before sending, with the reason.
MAX_SHELL_COMMAND_BYTES = 65_000


@dataclass(frozen=True)
class Placement(HostBracket):
    """A placed call: how, which room, and when (host instants, ns since the epoch)."""

    method: str
    room_id: str | None
    host_before_ns: int
    host_after_ns: int
    detail: dict[str, Any] = field(default_factory=dict)


class BroadcastInjector:
    """``am broadcast -a ACTION [-n COMPONENT] [-p PACKAGE] --es EXTRA '<push json>'`` through adb."""

    def __init__(self, session: DeviceSession, config: BroadcastConfig) -> None:
        self.session = session
        self.config = config

    def command(self, payload: str) -> str:
        """The shell line; :class:`InjectionError` for a payload no adb shell command can carry."""
        argv = ["am", "broadcast", "-a", self.config.action]
        if self.config.component:
            argv += ["-n", self.config.component]
        if self.config.package:
            argv += ["-p", self.config.package]
        argv += ["--es", self.config.extra, payload]
        command = sh_join(argv)
        size = len(command.encode("utf-8"))
        if size > MAX_SHELL_COMMAND_BYTES:
            raise InjectionError(f"the push makes a {size}-byte am broadcast command; adb carries at most "
                                 f"{MAX_SHELL_COMMAND_BYTES} bytes per shell command: send a smaller push")
        return command

    def send(self, push: CallPush | str) -> Placement:
        """Broadcast a push (a :class:`CallPush`, or raw text for malformed-push scenarios)."""
        payload = push.to_json() if isinstance(push, CallPush) else push
        room = push.room_id if isinstance(push, CallPush) else None
        command = self.command(payload)
        log.info("broadcast to %s: %s", self.session.serial, redact_text(command)[:300])
        before = host_ns()
        result = self.session.device.shell2(command, timeout=30)
        after = host_ns()
        if result.returncode != 0 or "Broadcast completed" not in result.output:
            raise InjectionError(f"am broadcast on {self.session.serial} failed (exit {result.returncode}): "
                                 f"{redact_text(result.output.strip())[:300]}")
        return Placement("broadcast", room, before, after, {"output": result.output.strip()})


class PhoneInjector:
    """Calls device ``sn`` from the phone with its current pushToken (``callWMPF``)."""

    def __init__(self, phone: Phone, sn: str) -> None:
        self.phone = phone
        self.sn = sn

    def body(self, *, room_type: str, caller_name: str, custom_query: dict[str, str] | str | None = None,
             auto_answer: bool = False, env_version: str = "release", sim: dict[str, Any] | None = None,
             push_token: str | None = None) -> dict[str, Any]:
        info = self.phone.device(self.sn)
        query = parse_custom_query(custom_query) if isinstance(custom_query, str) else dict(custom_query or {})
        if auto_answer:
            query["isClickedHangOnBtn"] = "1"
        body: dict[str, Any] = {
            "roomType": room_type, "sn": self.sn, "modelId": info.get("modelId", ""),
            "pushToken": push_token if push_token is not None else (info.get("pushToken") or ""),
            "nickName": caller_name, "envVersion": env_version,
        }
        if query:
            body["customQuery"] = urlencode(query)
        if sim:
            body["_sim"] = sim
        return body

    def call(self, **kwargs: Any) -> Placement:
        """Place a call; keyword arguments as :meth:`body`. Raises :class:`~harness.callers.phone.PhoneApiError`."""
        body = self.body(**kwargs)
        before = host_ns()
        room = self.phone.call_wmpf(body)
        after = host_ns()
        return Placement("phone", room, before, after, {"room_type": body["roomType"]})
