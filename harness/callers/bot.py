"""The phone bot API caller: a lab's test hook (or the simulator's backend) reached over HTTP.

The contract (docs/phone-bot-api.md) is the plugin's ``callWMPF`` as ``POST /callWMPF`` (``GET /devices`` for
the device's current pushToken) plus the caller's actions on ``/calls/<roomId>``. The placement instant is the
bracketed ``POST /callWMPF``; the bot chooses the caller's name and the push's custom query, and can place a
second call during the first, so it declares every caller capability.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from harness.callers.base import CallerBase, CallRequest, Capability, Placement
from harness.callers.phone import Phone, PhoneApiError
from harness.callers.push import parse_custom_query
from harness.hostclock import host_ns


class PhoneInjector:
    """Calls device ``sn`` from the phone with its current pushToken (``callWMPF``)."""

    def __init__(self, phone: Phone, sn: str) -> None:
        self.phone = phone
        self.sn = sn

    def body(self, *, room_type: str, caller_name: str, custom_query: dict[str, str] | str | None = None,
             auto_answer: bool = False, env_version: str = "release", push_token: str | None = None) -> dict[str, Any]:
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
        return body

    def call(self, **kwargs: Any) -> Placement:
        """Place a call; keyword arguments as :meth:`body`. Raises :class:`~harness.callers.phone.PhoneApiError`."""
        body = self.body(**kwargs)
        before = host_ns()
        room = self.phone.call_wmpf(body)
        after = host_ns()
        return Placement("phone", room, before, after, {"room_type": body["roomType"]})


class PhoneBotCaller(CallerBase):
    """A caller behind the phone bot API at ``phone.base_url``."""

    name = "phone bot"
    capabilities = frozenset({Capability.CONNECT, Capability.CANCEL, Capability.HANG_UP, Capability.LOSE_NETWORK,
                              Capability.CALL_STATE, Capability.CALLER_NAME, Capability.AUTO_ANSWER,
                              Capability.CONCURRENT_CALLS})

    def __init__(self, phone: Phone, sn: str) -> None:
        self.phone = phone
        self.injector = PhoneInjector(phone, sn)

    def place(self, request: CallRequest) -> Placement:
        name = request.caller_name if request.caller_name is not None else request.default_caller_name
        return self.injector.call(room_type=request.room_type, caller_name=name, auto_answer=request.auto_answer,
                                  env_version=request.env_version, custom_query=dict(request.custom_query))

    def _room(self, room_id: str | None) -> str:
        if room_id is None:
            raise PhoneApiError(404, {"errMsg": "no room id for this call"}, "caller action")
        return room_id

    def cancel(self, room_id: str | None) -> None:
        self.phone.cancel(self._room(room_id))

    def hang_up(self, room_id: str | None) -> None:
        self.phone.hang_up(self._room(room_id))

    def lose_network(self, room_id: str | None) -> None:
        self.phone.lose_network(self._room(room_id))

    def state(self, room_id: str | None) -> dict[str, Any] | None:
        if room_id is None:
            return None
        try:
            state = self.phone.call_state(room_id)
        except PhoneApiError:
            return None
        return state if isinstance(state, dict) else None
