"""A minimal phone bot (docs/phone-bot-api.md): the skeleton a lab fills in with its WeChat backend's test hook.

Standard library only. Every endpoint of the contract is routed; the parts marked TODO are where a lab calls
its own backend (create a VoIP room and push to the device, as the VoIP plugin's ``callWMPF`` does). As it is,
it keeps calls in memory and places nothing, so a run against it fails at ``push_not_received`` — which is a
quick way to check the wiring. Run: ``python docs/examples/phone_bot.py --port 8765``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

DEVICES: dict[str, dict[str, Any]] = {
    # TODO: your devices, with the pushToken each one uploaded to your backend (refresh it before each call)
    "DEVICE-SN": {"sn": "DEVICE-SN", "modelId": "your-model-id", "pushToken": "token-from-the-device"},
}
CALLS: dict[str, dict[str, Any]] = {}


class Error(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def call_wmpf(body: dict[str, Any]) -> dict[str, Any]:
    for key in ("roomType", "sn", "modelId", "pushToken", "nickName"):
        if not isinstance(body.get(key), str):
            raise Error(400, 1004, f"bad parameters: {key} is required")
    if body["sn"] not in DEVICES:
        raise Error(400, 14, f"unknown sn {body['sn']!r}")
    # TODO: call your backend's callWMPF test hook here; raise Error(...) with its errCode when it refuses.
    room_id = f"wxf830863afde621ebWmpfVoip{time.time_ns() // 1000}"
    CALLS[room_id] = {"roomId": room_id, "sn": body["sn"], "roomType": body["roomType"], "state": "ringing",
                      "endReason": None}
    return {"roomId": room_id}


def call_state(room_id: str) -> dict[str, Any]:
    call = CALLS.get(room_id)
    if call is None:
        raise Error(404, 404, f"no call {room_id!r}")
    return call  # TODO: your caller's view: ringing, joining, connected, ended (with endReason)


def caller_action(room_id: str, action: str) -> dict[str, Any]:
    call = CALLS.get(room_id)
    if call is None:
        raise Error(404, 404, f"no call {room_id!r}")
    if call["state"] == "ended":
        raise Error(409, 409, f"call {room_id} is ended ({call['endReason']})")
    # TODO: make your caller cancel / hang up / drop its network in the room.
    reason = {"cancel": "cancelled", "hangup": "hung_up_by_caller", "network_loss": "caller_network_lost"}[action]
    call.update(state="ended", endReason=reason)
    return call


ROUTES = [
    ("GET", re.compile(r"/devices"), lambda m, q, b: list(DEVICES.values())),
    ("POST", re.compile(r"/callWMPF"), lambda m, q, b: call_wmpf(b)),
    ("GET", re.compile(r"/calls/(?P<room>[^/]+)"), lambda m, q, b: call_state(m["room"])),
    ("POST", re.compile(r"/calls/(?P<room>[^/]+)/(?P<action>cancel|hangup|network_loss)"),
     lambda m, q, b: caller_action(m["room"], m["action"])),
    # Optional /control endpoints (the lab-faults interface): leave them out if the lab has no injector;
    # the harness then skips the scenarios that need them.
]


class Handler(BaseHTTPRequestHandler):
    def _serve(self, method: str) -> None:
        url = urlparse(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null") if length else None
            for verb, pattern, handler in ROUTES:
                match = pattern.fullmatch(url.path.rstrip("/"))
                if match and verb == method:
                    self._send(200, handler(match.groupdict(), parse_qs(url.query), body or {}))
                    return
            raise Error(404, 404, f"no endpoint {method} {url.path}")
        except Error as exc:
            self._send(exc.status, {"errCode": exc.code, "errMsg": str(exc)})
        except ValueError as exc:
            self._send(400, {"errCode": 1004, "errMsg": f"bad parameters: {exc}"})

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"phone bot on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
