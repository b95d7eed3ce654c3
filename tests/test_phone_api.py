"""The simulated phone's HTTP API: callWMPF validation, device list, call state, control endpoints."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
from urllib.parse import urlsplit

import pytest

from harness.callers.phone import PhoneApiError
from simulator.wmpf.faults import apply_fault
from tests.testbed import TestBed, profile_with


def raw(url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, dict]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    conn.close()
    return resp.status, data


def test_call_wmpf_contract_and_push_content() -> None:
    async def main() -> None:
        async with TestBed(profile=profile_with(host_app={"incoming_ui": "direct"})) as bed:
            devices = await bed.run(bed.client.devices)
            assert devices[0]["sn"] == bed.devices[0].serialno
            assert devices[0]["modelId"] == "wmpfhil-model-t10"
            assert len(devices[0]["pushToken"]) >= 32 and devices[0]["expireTimestamp"] > 0
            room = await bed.call(nick_name="Alice Z", custom_query="foo=1&bar=x", env_version="trial")
            assert re.fullmatch(r"wxf830863afde621ebWmpfVoip\d+", room)
            await bed.until(lambda: "push_received" in bed.truth_events(0, room), 3, "push")
            line = next(e.message for e in bed.devices[0].logcat.entries() if e.tag == "WMPF-API"
                        and e.message.startswith("收到推送消息:"))
            push = json.loads(line.split(": ", 1)[1])
            assert push["appType"] == 2 and push["appid"] == "wx0123456789abcdef"
            assert push["path"].startswith("plugin-private://wxf830863afde621eb/pages/call-page-plugin/"
                                           "call-page-plugin?roomType=video&groupId=" + room)
            assert f"&listenerId={bed.devices[0].serialno}&callerName=Alice%20Z&foo=1&bar=x" in push["path"]
            # the pushToken never appears in full in logcat
            token = devices[0]["pushToken"]
            assert not any(token in e.message for e in bed.devices[0].logcat.entries())

    asyncio.run(main())


@pytest.mark.parametrize(("change", "status", "code", "words"), [
    ({"sn": "NOPE"}, 400, 14, "unknown sn"),
    ({"pushToken": "deadbeef"}, 400, 14, "not the current token"),
    ({"modelId": "other"}, 400, 17, "modelId"),
    ({"roomType": "fax"}, 400, 1004, "roomType"),
    ({"envVersion": "beta"}, 400, 1004, "envVersion"),
    ({"nickName": None}, 400, 1004, "nickName is required"),
    ({"_sim": {"bogus": 1}}, 400, 1004, "unknown keys"),
])
def test_call_wmpf_errors_name_the_problem(change: dict, status: int, code: int, words: str) -> None:
    async def main() -> None:
        async with TestBed() as bed:
            dev = (await bed.run(bed.client.devices))[0]
            body = {"roomType": "video", "sn": dev["sn"], "modelId": dev["modelId"], "pushToken": dev["pushToken"],
                    "nickName": "A"}
            body.update(change)
            body = {k: v for k, v in body.items() if v is not None}
            got_status, got = await bed.run(raw, bed.url, "POST", "/callWMPF", json.dumps(body).encode())
            assert (got_status, got["errCode"]) == (status, code)
            assert words in got["errMsg"]

    asyncio.run(main())


def test_expired_token_offline_and_not_activated() -> None:
    async def main() -> None:
        async with TestBed(2) as bed:
            sn0, sn1 = (d.serialno for d in bed.devices)
            apply_fault(bed.models[0], "expire_push_token")
            with pytest.raises(PhoneApiError) as err:
                await bed.call(0)
            assert err.value.err_code == 14 and "expired" in err.value.err_msg
            bed.models[1].service.registered_at_backend = False
            with pytest.raises(PhoneApiError) as err:
                await bed.call(1)
            assert err.value.status == 409 and "not activated" in err.value.err_msg
            bed.models[1].service.registered_at_backend = True
            bed.devices[1].shutdown()
            with pytest.raises(PhoneApiError) as err:
                await bed.call(1)
            assert err.value.status == 503 and sn1 in err.value.err_msg
            assert sn0 != sn1

    asyncio.run(main())


def test_http_errors_for_bad_requests() -> None:
    async def main() -> None:
        async with TestBed() as bed:
            assert (await bed.run(raw, bed.url, "POST", "/callWMPF", b"{not json"))[0] == 400
            status, body = await bed.run(raw, bed.url, "GET", "/nowhere")
            assert status == 404 and "docs/simulator-phone-api.md" in body["errMsg"]
            status, body = await bed.run(raw, bed.url, "DELETE", "/devices")
            assert status == 405 and "GET" in body["errMsg"]
            status, body = await bed.run(raw, bed.url, "GET", "/calls/nope")
            assert status == 404 and "nope" in body["errMsg"]
            status, body = await bed.run(raw, bed.url, "POST", "/control/faults",
                                         json.dumps({"sn": bed.devices[0].serialno, "fault": "bogus"}).encode())
            assert status == 400 and "unknown fault" in body["errMsg"]

    asyncio.run(main())


def test_control_endpoints_and_device_state() -> None:
    async def main() -> None:
        async with TestBed() as bed:
            sn = bed.devices[0].serialno
            out = await bed.run(bed.client.fault, sn, "push_delay_ms", 100)
            assert out["faults"]["push_delay_ms"] == 100.0
            faults = await bed.run(bed.client.request, "GET", f"/control/faults?sn={sn}")
            assert faults[sn]["push_delay_ms"] == 100.0
            state = await bed.run(bed.client.device_state, sn)
            assert state["wmpf"]["running"] and state["wmpf"]["listener"] == "v2"
            old_pid = state["wmpf"]["pid"]
            await bed.run(bed.client.fault, sn, "kill_wmpf")
            await bed.until(lambda: TestBed.ready(bed.models[0]), 5, "WMPF back")
            assert (await bed.run(bed.client.device_state, sn))["wmpf"]["pid"] != old_pid
            await bed.run(bed.client.fault, sn, "screen_off")
            assert not bed.devices[0].android.screen.on
            room = await bed.call(cancelAfterS=5)  # the host app wakes the screen to ring
            await bed.until(lambda: bed.devices[0].android.screen.on, 3, "screen on")
            await bed.until(lambda: (bed.backend.rooms[room].end_reason == "cancelled"), 3, "caller cancelled")
            calls = await bed.run(bed.client.request, "GET", f"/calls?sn={sn}")
            assert [c["roomId"] for c in calls] == [room]

    asyncio.run(main())


def raw_bytes(url: str, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(data)
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


def test_protocol_errors_answer_json_and_close() -> None:
    """The shared HTTP server answers the phone's bad requests in the phone's error shape."""
    async def main() -> None:
        async with TestBed() as bed:
            for data, status in [(b"POST /callWMPF HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"411"),
                                 (b"POST /callWMPF HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", b"413"),
                                 (b"garbage\r\n\r\n", b"400")]:
                out = await bed.run(raw_bytes, bed.url, data)
                head, _, body = out.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 " + status) and b"Connection: close" in head
                assert json.loads(body)["errCode"] == 1004
            out = await bed.run(raw_bytes, bed.url, b"GET /devices HTTP/1.1\nConnection: close\n\n")
            assert out.startswith(b"HTTP/1.1 200 ") and b'"modelId"' in out

    asyncio.run(main())
