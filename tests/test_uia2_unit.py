"""In-process tests of the uiautomator2 on-device server: HTTP over device pipes, no adb involved."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from lxml import etree
from PIL import Image

from simulator.android.ui import UiNode, Window
from simulator.device import SimDevice
from simulator.profile import load_profile
from simulator.shell.api import CommandContext
from simulator.shell.commands.app_process import app_process
from simulator.streams import BufferWriter, EmptyReader, Pipe
from simulator.uia2 import crash_server, hierarchy, running_server
from simulator.uia2.selector import UiSelector

PKG = "com.example.wmpfhost"
U2_CMD = ["app_process", "/", "com.wetest.uia2.Main", "-p", "9008"]


class Fixture:
    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self.clicks: list[str] = []
        self.keys: list[int] = []
        self.out = BufferWriter()
        self.err = BufferWriter()
        self.task: asyncio.Task[int] | None = None

    def tree(self, width: int, height: int) -> UiNode:
        return UiNode(bounds=(0, 0, width, height), package=PKG, children=[
            UiNode("android.widget.TextView", text="Incoming call <Alice & \"Bob\">", package=PKG,
                   resource_id=f"{PKG}:id/title", bounds=(0, 100, width, 200)),
            UiNode("android.widget.LinearLayout", package=PKG, bounds=(0, 1500, width, 1800), children=[
                UiNode("android.widget.Button", text="Decline", resource_id=f"{PKG}:id/decline",
                       package=PKG, clickable=True, bounds=(100, 1550, 500, 1750),
                       on_click=lambda: self.clicks.append("decline")),
                UiNode("android.widget.Button", text="Accept", resource_id=f"{PKG}:id/accept",
                       content_desc="accept call", package=PKG, clickable=True, long_clickable=True,
                       bounds=(700, 1550, 1100, 1750), on_click=lambda: self.clicks.append("accept"),
                       on_long_click=lambda: self.clicks.append("accept-long")),
            ]),
        ])

    def show(self) -> None:
        def on_key(code: int) -> bool:
            self.keys.append(code)
            return True

        self.device.android.screen.show(Window(PKG, f"{PKG}/.IncomingCallActivity", self.tree, on_key=on_key))

    def ctx(self, argv: list[str], env: dict[str, str] | None = None) -> CommandContext:
        return CommandContext(self.device, argv, EmptyReader(), self.out, self.err,
                              env=env if env is not None else {"CLASSPATH": "/data/local/tmp/u2.jar"})

    async def start_server(self) -> None:
        self.device.fs.write_file("/data/local/tmp/u2.jar", b"PK\x03\x04jar", mode=0o755)
        self.task = asyncio.get_running_loop().create_task(app_process(self.ctx(U2_CMD)))
        for _ in range(50):
            await asyncio.sleep(0)
            if running_server(self.device, 9008) is not None:
                return
        raise AssertionError(f"server did not start: {self.err.data!r}")

    async def http(self, method: str, path: str, body: bytes = b"", port: int = 9008) -> tuple[int, bytes]:
        handler = self.device.services.lookup(port)
        if handler is None:
            raise ConnectionRefusedError(port)
        c2s, s2c = Pipe(), Pipe()
        task = asyncio.get_running_loop().create_task(handler(c2s, s2c))
        head = f"{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\nContent-Length: {len(body)}\r\n" \
               "Connection: close\r\n\r\n"
        await c2s.write(head.encode() + body)
        raw = await s2c.read_all()
        await task
        header, _, payload = raw.partition(b"\r\n\r\n")
        return int(header.split()[1]), payload

    async def rpc(self, method: str, *params: Any) -> dict[str, Any]:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        status, payload = await self.http("POST", "/jsonrpc/0", body)
        assert status == 200
        return json.loads(payload)

    async def call(self, method: str, *params: Any) -> Any:
        answer = await self.rpc(method, *params)
        assert "error" not in answer, answer
        return answer["result"]


def run(test: Callable[[Fixture], Awaitable[None]]) -> None:
    async def main() -> None:
        device = SimDevice(load_profile())
        device.boot()
        fx = Fixture(device)
        fx.show()
        try:
            await test(fx)
        finally:
            if fx.task is not None and not fx.task.done():
                fx.task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await fx.task

    asyncio.run(main())


def sel(**fields: Any) -> dict[str, Any]:
    """A selector exactly as uiautomator2 builds it."""
    from uiautomator2._selector import Selector

    return dict(Selector(**fields))


def test_ping_refused_before_start_then_pong() -> None:
    async def body(fx: Fixture) -> None:
        with pytest.raises(ConnectionRefusedError):
            await fx.http("GET", "/ping")
        await fx.start_server()
        assert await fx.http("GET", "/ping") == (200, b"pong")
        assert b"Starting Server" in fx.out.data
        assert [p.name for p in fx.device.processes.by_name("app_process")] == ["app_process"]

    run(body)


def test_device_info() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        info = await fx.call("deviceInfo")
        assert info == {
            "currentPackageName": PKG, "displayHeight": 1920, "displayWidth": 1200, "displayRotation": 0,
            "displaySizeDpX": 800, "displaySizeDpY": 1280, "naturalOrientation": True,
            "productName": fx.device.props["ro.product.name"], "screenOn": True, "sdkInt": 30,
        }

    run(body)


def test_dump_hierarchy_format() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        xml = await fx.call("dumpWindowHierarchy", False, 50)
        assert xml.startswith(hierarchy.XML_DECLARATION + '\r\n<hierarchy rotation="0">\r\n')
        assert "&lt;Alice &amp; &quot;Bob&quot;&gt;" in xml
        root = etree.fromstring(xml.encode())
        nodes = root.findall(".//node")
        assert len(nodes) == 5
        accept = root.find(".//node[@resource-id='com.example.wmpfhost:id/accept']")
        assert list(accept.attrib) == [
            "index", "text", "resource-id", "class", "package", "content-desc", "checkable", "checked",
            "clickable", "enabled", "focusable", "focused", "scrollable", "long-clickable", "password",
            "selected", "visible-to-user", "bounds", "drawing-order", "hint", "display-id"]
        assert accept.get("bounds") == "[700,1550][1100,1750]"
        assert accept.get("index") == "1" and accept.get("long-clickable") == "true"
        assert root.find(".//node[@text='Incoming call <Alice & \"Bob\">']") is not None
        assert '  <node index="0" text="Decline"' in xml and ' />\r\n' in xml
        shallow = await fx.call("dumpWindowHierarchy", False, 1)
        assert len(etree.fromstring(shallow.encode()).findall(".//node")) == 1

    run(body)


def test_selectors_exist_wait_objinfo_count() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        assert await fx.call("exist", sel(text="Accept")) is True
        assert await fx.call("exist", sel(text="Nope")) is False
        assert await fx.call("waitForExists", sel(resourceId=f"{PKG}:id/decline"), 100) is True
        assert await fx.call("waitForExists", sel(description="absent"), 120) is False
        info = await fx.call("objInfo", sel(description="accept call"))
        assert info["bounds"] == {"bottom": 1750, "left": 700, "right": 1100, "top": 1550}
        assert info["text"] == "Accept" and info["className"] == "android.widget.Button"
        assert info["visibleBounds"] == info["bounds"] and info["longClickable"] is True
        assert await fx.call("count", sel(className="android.widget.Button")) == 2
        second = await fx.call("objInfo", sel(className="android.widget.Button", instance=1))
        assert second["text"] == "Accept"
        assert await fx.call("getText", sel(textStartsWith="Dec")) == "Decline"
        assert await fx.call("exist", sel(textMatches="Acc.*", clickable=True)) is True
        assert await fx.call("exist", sel(textMatches="cc")) is False  # matches() is a whole-string match
        assert await fx.call("exist", sel(textContains="Alice", packageName=PKG)) is True
        assert await fx.call("exist", sel(resourceIdMatches=r".*:id/acc\w+", index=1)) is True
        assert await fx.call("exist", sel(className="android.widget.LinearLayout")) is True
        all_buttons = await fx.call("objInfoOfAllInstances", sel(clickable=True))
        assert [b["text"] for b in all_buttons] == ["Decline", "Accept"]

    run(body)


def test_wait_for_exists_looks_once_a_second_like_androidx() -> None:
    """A server-side wait sees a change only at its next 1 s look (WAIT_FOR_SELECTOR_POLL), as on hardware."""
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        loop = asyncio.get_running_loop()
        absent = sel(description="late button")
        started = loop.time()
        late = loop.call_later(0.1, lambda: fx.device.android.screen.show(Window(
            PKG, f"{PKG}/.Late", lambda w, h: UiNode(bounds=(0, 0, w, h), package=PKG, content_desc="late button"))))
        assert await fx.call("waitForExists", absent, 3000) is True
        waited = loop.time() - started
        late.cancel()
        assert 0.9 <= waited < 2.0, f"waitForExists returned after {waited:.3f} s, not at its 1 s look"
        started = loop.time()
        assert await fx.call("waitForExists", sel(description="never"), 1500) is False  # looks at 0, 1, 2 s
        assert loop.time() - started >= 1.9

    run(body)


def test_child_and_sibling_selectors() -> None:
    tree = Fixture(None).tree(1200, 1920)  # type: ignore[arg-type]
    child = sel(className="android.widget.LinearLayout")
    child["childOrSibling"] = ["child"]
    child["childOrSiblingSelector"] = [sel(text="Accept")]
    found = UiSelector(child).find(tree)
    assert found is not None and found.node.text == "Accept"
    sibling = sel(text="Decline")
    sibling["childOrSibling"] = ["sibling"]
    sibling["childOrSiblingSelector"] = [sel(className="android.widget.Button")]
    found = UiSelector(sibling).find(tree)
    assert found is not None and found.node.text == "Accept"
    assert str(UiSelector(sel(text="x", instance=2))) == "UiSelector[TEXT=x, INSTANCE=2]"


def test_click_by_point_and_selector_and_long_click() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        assert await fx.call("click", 300, 1650) is True
        assert await fx.call("click", 900.0, 1650.0) is True  # uiautomator2 sends float centres
        assert await fx.call("click", 10, 10) is False
        assert await fx.call("click", sel(text="Decline")) is True
        assert await fx.call("click", 900, 1650, 800) is True  # d.long_click(x, y) sends press time
        assert await fx.call("longClick", sel(text="Accept")) is True
        assert fx.clicks == ["decline", "accept", "decline", "accept-long", "accept-long"]

    run(body)


def test_missing_object_is_ui_object_not_found() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        answer = await fx.rpc("objInfo", sel(text="Ghost"))
        assert answer["error"]["code"] == -32002
        assert "uiautomator.UiObjectNotFoundException" in answer["error"]["message"]
        assert "TEXT=Ghost" in answer["error"]["message"]
        unknown = await fx.rpc("noSuchMethod")
        assert unknown["error"]["code"] == -32601
        bad = await fx.rpc("objInfo")
        assert bad["error"]["code"] == -32602
        status, _ = await fx.http("POST", "/jsonrpc/0", b"{not json")
        assert status == 200

    run(body)


def test_keys_power_and_screenshot() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        assert await fx.call("pressKey", "back") is True
        assert await fx.call("pressKey", "no_such_key") is False
        assert await fx.call("pressKeyCode", 66) is True
        assert fx.keys == [4, 66]
        await fx.call("sleep")
        assert (await fx.call("deviceInfo"))["screenOn"] is False
        await fx.call("wakeUp")
        assert await fx.call("isScreenOn") is True
        data = base64.b64decode(await fx.call("takeScreenshot", 1, 80))
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.size == (1200, 1920)

    run(body)


def test_crash_releases_port_and_command_ends() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        pid = crash_server(fx.device)
        assert pid and fx.device.processes.get(pid) is None
        assert fx.task is not None
        assert await asyncio.wait_for(fx.task, 2) == 137
        with pytest.raises(ConnectionRefusedError):
            await fx.http("GET", "/ping")
        await fx.start_server()  # uiautomator2 restarts it the same way
        assert await fx.http("GET", "/ping") == (200, b"pong")

    run(body)


def test_stream_close_stops_server() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        assert fx.task is not None
        fx.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await fx.task
        assert fx.device.services.lookup(9008) is None
        assert fx.device.processes.by_name("app_process") == []

    run(body)


def test_second_server_already_registered_and_bad_class() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        second = BufferWriter()
        ctx = fx.ctx(["app_process", "/", "com.wetest.uia2.Main", "-p", "9009"])
        ctx.stderr = second
        assert await app_process(ctx) == 1
        assert b"already registered" in second.data
        missing = fx.ctx(U2_CMD, env={"CLASSPATH": "/data/local/tmp/nope.jar"})
        missing.stderr = BufferWriter()
        assert await app_process(missing) == 1
        assert b"ClassNotFoundException" in missing.stderr.data  # type: ignore[attr-defined]

    run(body)


def test_keep_alive_serves_several_requests() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        handler = fx.device.services.lookup(9008)
        assert handler is not None
        c2s, s2c = Pipe(), Pipe()
        task = asyncio.get_running_loop().create_task(handler(c2s, s2c))
        await c2s.write(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        await c2s.close()
        raw = await s2c.read_all()
        await task
        assert raw.count(b"HTTP/1.1 200 OK") == 2 and raw.endswith(b"pong")

    run(body)


def test_escape_attr_strips_illegal_characters() -> None:
    assert hierarchy.escape_attr("a\x01b\nc") == "a?b&#10;c"


def test_http_edge_cases() -> None:
    async def body(fx: Fixture) -> None:
        await fx.start_server()
        assert (await fx.http("GET", "/nowhere"))[0] == 404
        assert (await fx.http("GET", "/jsonrpc/0"))[0] == 405
        handler = fx.device.services.lookup(9008)
        assert handler is not None
        c2s, s2c = Pipe(), Pipe()
        task = asyncio.get_running_loop().create_task(handler(c2s, s2c))
        rpc = b'{"jsonrpc": "2.0", "id": 7, "method": "ping", "params": []}'
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(rpc), rpc)
        await c2s.write(b"POST /jsonrpc/0 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        await c2s.write(b"BROKEN\r\n\r\n")
        raw = await asyncio.wait_for(s2c.read_all(), 2)
        await task
        assert b'{"jsonrpc": "2.0", "id": 7, "result": "pong"}' in raw
        assert b"HTTP/1.1 400 Bad Request" in raw

    run(body)
