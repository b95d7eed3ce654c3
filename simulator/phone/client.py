"""A small blocking client for the simulated phone's HTTP API (what a test or the harness calls).

Standard library only. Every method returns the decoded JSON; an error response raises
:class:`PhoneApiError` carrying the HTTP status and the backend's ``errCode``/``errMsg``. Do not call it
from the simulator's event-loop thread (it blocks): use ``asyncio.to_thread`` there.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class PhoneApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.err_code = body.get("errCode")
        self.err_msg = body.get("errMsg", "")
        super().__init__(f"HTTP {status}: errCode {self.err_code}: {self.err_msg}")


class PhoneClient:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {"errMsg": raw.decode("utf-8", "replace")}
            raise PhoneApiError(exc.code, payload) from None

    # -- the phone's calls ---------------------------------------------------------------------------
    def devices(self) -> list[dict[str, Any]]:
        return self.request("GET", "/devices")

    def device(self, sn: str) -> dict[str, Any]:
        return self.request("GET", f"/devices/{sn}")

    def call(self, sn: str, *, room_type: str = "video", nick_name: str = "Alice", env_version: str = "release",
             custom_query: str = "", device_name: str | None = None, push_token: str | None = None,
             model_id: str | None = None, **sim: Any) -> str:
        """``callWMPF`` to device ``sn`` with its current token (from ``GET /devices``); return the roomId.

        ``sim`` keys go to ``_sim``: ``callerJoins``, ``hangUpAfterS``, ``cancelAfterS``.
        """
        info = next((d for d in self.devices() if d["sn"] == sn), None)
        body: dict[str, Any] = {
            "roomType": room_type, "sn": sn, "nickName": nick_name, "envVersion": env_version,
            "modelId": model_id if model_id is not None else (info or {}).get("modelId", ""),
            "pushToken": push_token if push_token is not None else (info or {}).get("pushToken") or "",
        }
        if custom_query:
            body["customQuery"] = custom_query
        if device_name is not None:
            body["deviceName"] = device_name
        if sim:
            body["_sim"] = sim
        return self.request("POST", "/callWMPF", body)["roomId"]

    def call_state(self, room_id: str) -> dict[str, Any]:
        return self.request("GET", f"/calls/{room_id}")

    def cancel(self, room_id: str) -> dict[str, Any]:
        return self.request("POST", f"/calls/{room_id}/cancel", {})

    def hang_up(self, room_id: str) -> dict[str, Any]:
        return self.request("POST", f"/calls/{room_id}/hangup", {})

    def lose_network(self, room_id: str) -> dict[str, Any]:
        return self.request("POST", f"/calls/{room_id}/network_loss", {})

    # -- control ---------------------------------------------------------------------------------------
    def fault(self, sn: str, fault: str, value: Any = True) -> dict[str, Any]:
        return self.request("POST", "/control/faults", {"sn": sn, "fault": fault, "value": value})

    def push(self, sn: str, msg: str) -> dict[str, Any]:
        return self.request("POST", "/control/push", {"sn": sn, "msg": msg})
