"""The caller's side: a (simulated) phone reached over HTTP, as a lab's test phone or bot would be.

The simulator's phone and WeChat backend expose ``POST /callWMPF`` (the plugin's ``callWMPF``: creates a
room and pushes to the device), ``GET /devices`` (sn, modelId, current pushToken), ``GET /calls/<roomId>``
and the caller's actions (cancel, hang up). A lab with real phones puts the same small API in front of its
phone bot; the harness only speaks HTTP to it. Standard library only, loopback in tests.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from harness.errors import InjectionError, LabError
from harness.redact import redact

log = logging.getLogger("harness.callers.phone")

# The phone API takes request bodies up to 1 MiB (docs/simulator-phone-api.md); a larger one is refused here with
# the reason, instead of the server closing the connection mid-upload (which would read as a lab failure).
MAX_BODY_BYTES = 1 << 20


class PhoneApiError(InjectionError):
    """The phone/backend refused a request (the product side said no: bad token, unknown device...)."""

    def __init__(self, status: int, body: dict[str, Any], what: str) -> None:
        self.status = status
        self.err_code = body.get("errCode")
        self.err_msg = str(body.get("errMsg", ""))
        super().__init__(f"{what}: HTTP {status}, errCode {self.err_code}: {self.err_msg}")


class Phone:
    """A blocking client of one phone API base URL (``http://127.0.0.1:PORT``)."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        what = f"{method} {path}"
        try:
            data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, TypeError, ValueError) as exc:  # a lone surrogate, a set, a circular reference
            raise InjectionError(f"{what}: the request body cannot be sent as JSON in UTF-8: {exc}") from None
        if data is not None and len(data) > MAX_BODY_BYTES:
            raise InjectionError(f"{what}: a {len(data)}-byte request body exceeds the phone API's limit of "
                                 f"{MAX_BODY_BYTES} bytes")
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        log.debug("phone %s %s", what, json.dumps(redact(body), ensure_ascii=False) if body is not None else "")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {"errMsg": raw.decode("utf-8", "replace")}
            raise PhoneApiError(exc.code, payload if isinstance(payload, dict) else {"errMsg": str(payload)},
                                what) from None
        except (urllib.error.URLError, OSError) as exc:
            raise LabError(f"phone API at {self.base_url} unreachable ({what}): {exc}") from None

    # -- what a caller does ----------------------------------------------------------------------------
    def devices(self) -> list[dict[str, Any]]:
        return self.request("GET", "/devices")

    def device(self, sn: str) -> dict[str, Any]:
        found = next((d for d in self.devices() if d.get("sn") == sn), None)
        if found is None:
            raise InjectionError(f"the phone's backend does not know device sn {sn!r}")
        return found

    def call_wmpf(self, body: dict[str, Any]) -> str:
        """``callWMPF`` with a complete body; returns the roomId."""
        result = self.request("POST", "/callWMPF", body)
        room = result.get("roomId") if isinstance(result, dict) else None
        if not isinstance(room, str) or not room:
            raise InjectionError(f"POST /callWMPF returned no roomId: {redact(result)!r}")
        return room

    def call_state(self, room_id: str) -> dict[str, Any]:
        return self.request("GET", f"/calls/{room_id}")

    def cancel(self, room_id: str) -> dict[str, Any]:
        return self.request("POST", f"/calls/{room_id}/cancel", {})

    def hang_up(self, room_id: str) -> dict[str, Any]:
        return self.request("POST", f"/calls/{room_id}/hangup", {})

    def lose_network(self, room_id: str) -> dict[str, Any]:
        """The caller's network drops mid-call (the device sees the call aborted)."""
        return self.request("POST", f"/calls/{room_id}/network_loss", {})

    # -- what a lab's fault bot (or the simulator) adds ---------------------------------------------
    def device_state(self, sn: str) -> dict[str, Any]:
        """``GET /devices/<sn>``: the backend's full view of one device (the simulator's includes WMPF state)."""
        return self.request("GET", f"/devices/{sn}")

    def fault(self, sn: str, fault: str, value: Any = True) -> dict[str, Any]:
        """``POST /control/faults``: set a fault condition or run a fault action on device ``sn``."""
        return self.request("POST", "/control/faults", {"sn": sn, "fault": fault, "value": value})

    def push(self, sn: str, msg: str) -> Any:
        """``POST /control/push``: any text through the device's WMPF push channel (malformed pushes)."""
        return self.request("POST", "/control/push", {"sn": sn, "msg": msg})
