"""The broadcast caller (debug builds): the push JSON broadcast to the host app, the push path only.

The broadcast injector builds an ``am broadcast`` command whose payload is single-quoted for the device shell
(:mod:`harness.shellquote`): whatever the push contains, it arrives as one intact string and nothing in it runs.
Nobody is in the room such a push names — no WeChat backend created it — so this caller declares no
``connect`` (and no cancel or hang-up): scenarios that need a connected call skip with it, by capability.
The placement instant is the bracketed ``am broadcast``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from harness.callers.base import CallerBase, CallRequest, Capability, Placement
from harness.callers.push import CallPush
from harness.errors import InjectionError
from harness.hostclock import host_ns
from harness.redact import redact_text
from harness.shellquote import sh_join

if TYPE_CHECKING:
    from harness.config.app_profile import BroadcastConfig
    from harness.device.session import DeviceSession

log = logging.getLogger("harness.callers.broadcast")
ROOM_PREFIX = "wxf830863afde621ebWmpfVoip"
APP_TYPES = {"release": 0, "develop": 1, "trial": 2}


class BroadcastInjector:
    """``am broadcast -a ACTION [-n COMPONENT] [-p PACKAGE] --es EXTRA '<push json>'`` through adb."""

    def __init__(self, session: DeviceSession, config: BroadcastConfig) -> None:
        self.session = session
        self.config = config

    def command(self, payload: str) -> str:
        argv = ["am", "broadcast", "-a", self.config.action]
        if self.config.component:
            argv += ["-n", self.config.component]
        if self.config.package:
            argv += ["-p", self.config.package]
        argv += ["--es", self.config.extra, payload]
        return sh_join(argv)

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


class BroadcastCaller(CallerBase):
    """Places calls by broadcasting a push built from the request (the app profile's ``[broadcast]``)."""

    name = "broadcast"
    capabilities = frozenset({Capability.CALLER_NAME, Capability.AUTO_ANSWER, Capability.CONCURRENT_CALLS,
                              Capability.RAW_PUSH})
    how_to_get = ("a broadcast places no call a caller joins; use the phone-app caller (--caller-serial) or a "
                  "phone bot (--phone-url)")

    def __init__(self, session: DeviceSession, config: BroadcastConfig | None, appid: str, source: str) -> None:
        self.injector = BroadcastInjector(session, config) if config is not None else None
        self.appid = appid
        self.source = source

    def push_for(self, request: CallRequest) -> CallPush:
        room = f"{ROOM_PREFIX}{time.time_ns() // 1000}"
        name = request.caller_name if request.caller_name is not None else request.default_caller_name
        return CallPush(room_type=request.room_type, group_id=room, listener_id=request.sn, caller_name=name,
                        appid=self.appid, app_type=APP_TYPES[request.env_version],
                        custom_query=dict(request.custom_query), auto_answer=request.auto_answer)

    def place(self, request: CallRequest) -> Placement:
        return self.send(self.push_for(request))

    def send(self, push: CallPush | str) -> Placement:
        if self.injector is None:
            raise InjectionError(f"{self.source} has no [broadcast] table: cannot inject a push by broadcast on "
                                 f"this app")
        return self.injector.send(push)
