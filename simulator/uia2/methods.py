"""The JSON-RPC methods of the uiautomator2 server, answered from the simulated device's screen model.

Names, argument orders and result shapes follow the Java ``AutomatorService`` interface that uiautomator2
calls (``deviceInfo``, ``dumpWindowHierarchy``, ``waitForExists``, ``objInfo``, ``click``, ...). Anything
the client calls that is not here answers JSON-RPC -32601, so a gap shows up as a clear error in a test.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from simulator.android.ui import Screen, UiNode
from simulator.uia2 import hierarchy, inject, screenshot
from simulator.uia2.jsonrpc import Dispatcher, InvalidParams, UiObjectNotFound
from simulator.uia2.keys import keycode_for
from simulator.uia2.selector import Located, UiSelector

if TYPE_CHECKING:
    from simulator.device import SimDevice

# androidx UiObject.WAIT_FOR_SELECTOR_POLL: waitForExists / waitUntilGone look once a second, not on every change
WAIT_FOR_SELECTOR_POLL_S = 1.0
ORIENTATIONS = {"n": 0, "natural": 0, "l": 1, "left": 1, "u": 2, "upsidedown": 2, "r": 3, "right": 3}
TOAST_CACHE_MS = 5000


def _rect(bounds: tuple[int, int, int, int]) -> dict[str, int]:
    left, top, right, bottom = bounds
    return {"bottom": bottom, "left": left, "right": right, "top": top}


class AutomatorService:
    """One server instance's state (clipboard, touch in progress) and its RPC methods."""

    def __init__(self, device: SimDevice, *, is_running: Any = lambda: True) -> None:
        self.device = device
        self._is_running = is_running
        self.clipboard: str | None = None
        self._touch_down: tuple[int, int, float] | None = None
        self.dispatcher = Dispatcher()
        for name in (
            "ping", "deviceInfo", "dumpWindowHierarchy", "takeScreenshot", "click", "longClick",
            "exist", "waitForExists", "waitUntilGone", "objInfo", "objInfoOfAllInstances", "count",
            "getText", "setText", "clearTextField", "pressKey", "pressKeyCode", "wakeUp", "sleep",
            "isScreenOn", "swipe", "drag", "swipePoints", "injectInputEvent", "clickAndWaitForNewWindow",
            "openNotification", "openQuickSettings", "freezeRotation", "setOrientation", "waitForIdle",
            "waitForWindowUpdate", "getClipboard", "setClipboard", "getLastToast", "clearLastToast",
            "makeToast", "getLastTraversedText", "clearLastTraversedText", "hasAnyWatcherTriggered",
            "hasWatcherTriggered", "getWatchers", "removeWatcher", "resetWatcherTriggers", "runWatchers",
        ):
            self.dispatcher.add(name, getattr(self, name))

    # -- helpers ----------------------------------------------------------------------------------
    @property
    def screen(self) -> Screen:
        return self.device.android.screen

    def _tree(self) -> UiNode:
        return self.screen.tree()

    def _must_find(self, selector: UiSelector) -> Located:
        found = selector.find(self._tree())
        if found is None:
            raise UiObjectNotFound(str(selector))
        return found

    def _visible(self, node: UiNode) -> tuple[int, int, int, int]:
        return hierarchy.clip(node.bounds, self.screen.width, self.screen.height)

    def _center(self, node: UiNode) -> tuple[int, int]:
        left, top, right, bottom = self._visible(node)
        return (left + right) // 2, (top + bottom) // 2

    def _obj_info(self, node: UiNode) -> dict[str, Any]:
        bounds = _rect(self._visible(node))
        return {
            "bounds": bounds, "checkable": node.checkable, "checked": node.checked,
            "childCount": len(node.children), "className": node.class_name,
            "contentDescription": node.content_desc, "enabled": node.enabled, "focusable": node.focusable,
            "focused": node.focused, "longClickable": node.long_clickable, "packageName": node.package,
            "resourceName": node.resource_id or None, "scrollable": node.scrollable, "selected": node.selected,
            "text": hierarchy.shown_text(node), "visibleBounds": dict(bounds),
        }

    # -- UiDevice ---------------------------------------------------------------------------------
    def ping(self) -> str:
        return "pong"

    def deviceInfo(self) -> dict[str, Any]:
        screen, props = self.screen, self.device.props
        top = screen.top()
        sdk = props.get("ro.build.version.sdk", "0")
        return {
            "currentPackageName": top.package if top is not None else "",
            "displayHeight": screen.height, "displayWidth": screen.width, "displayRotation": screen.rotation,
            "displaySizeDpX": round(screen.width * 160 / screen.density),
            "displaySizeDpY": round(screen.height * 160 / screen.density),
            "naturalOrientation": True, "productName": props.get("ro.product.name", ""),
            "screenOn": screen.on, "sdkInt": int(sdk) if sdk.isdigit() else 0,
        }

    def dumpWindowHierarchy(self, compressed: bool = False, max_depth: Any = 50,
                            root_in_active: bool | None = None) -> str:
        depth = max_depth if isinstance(max_depth, int) and not isinstance(max_depth, bool) else 50
        sdk = self.device.props.get("ro.build.version.sdk", "30")
        display_id = 0 if (sdk.isdigit() and int(sdk) >= 30) else None
        return hierarchy.dump(self._tree(), self.screen.width, self.screen.height, max_depth=depth,
                              display_id=display_id, rotation=self.screen.rotation)

    async def takeScreenshot(self, scale: Any = 1, quality: Any = 80, *rest: Any) -> str | None:
        if isinstance(scale, str):  # the old (filename, scale, quality) form writes a PNG on the device
            path = scale
            self.device.fs.write_file(path, await screenshot.screenshot_png(self.device), mode=0o644)
            return path
        return await screenshot.screenshot_base64(self.device, float(scale), int(quality))

    def click(self, a: Any, b: Any = None, c: Any = None) -> bool:
        """``click(x, y)``, ``click(x, y, press_ms)`` (long press when >= 500 ms), ``click(selector[, corner])``."""
        if isinstance(a, dict):
            node = self._must_find(UiSelector(a)).node
            x, y = self._corner(node, b if isinstance(b, str) else "center")
            return inject.tap(self.device, x, y)
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            raise InvalidParams(f"click expects (x, y[, ms]) or (selector[, corner]), got ({a!r}, {b!r})")
        long = isinstance(c, (int, float)) and c >= 500
        return inject.tap(self.device, int(a), int(b), long=long)

    def _corner(self, node: UiNode, corner: str) -> tuple[int, int]:
        left, top, right, bottom = self._visible(node)
        if corner in ("tl", "topleft"):
            return left + 5, top + 5
        if corner in ("br", "bottomright"):
            return right - 5, bottom - 5
        return (left + right) // 2, (top + bottom) // 2

    def longClick(self, a: Any, b: Any = None, c: Any = None) -> bool:
        if isinstance(a, dict):
            node = self._must_find(UiSelector(a)).node
            x, y = self._corner(node, b if isinstance(b, str) else "center")
            return inject.tap(self.device, x, y, long=True)
        return inject.tap(self.device, int(a), int(b), long=True)

    def clickAndWaitForNewWindow(self, selector: dict[str, Any], timeout: int = 5500) -> bool:
        before = self.screen.top()
        self.click(selector)
        return self.screen.top() is not before

    def pressKey(self, key: str) -> bool:
        code = keycode_for(str(key))
        return False if code is None else inject.key(self.device, code)

    def pressKeyCode(self, keycode: int, meta: int = 0) -> bool:
        return inject.key(self.device, int(keycode))

    def wakeUp(self) -> None:
        inject.set_screen_on(self.device, True)

    def sleep(self) -> None:
        inject.set_screen_on(self.device, False)

    def isScreenOn(self) -> bool:
        return bool(self.screen.on)

    def swipe(self, *args: Any) -> bool:
        return self.screen.on

    def drag(self, *args: Any) -> bool:
        return self.screen.on

    def swipePoints(self, points: list[int], steps: int) -> bool:
        return self.screen.on

    def injectInputEvent(self, action: int, x: float, y: float, meta: int = 0) -> bool:
        """ACTION_DOWN(0) / MOVE(2) / UP(1): a down followed by an up near it is a tap (long after 500 ms)."""
        if action == 0:
            self._touch_down = (int(x), int(y), time.monotonic())
        elif action == 1 and self._touch_down is not None:
            dx, dy, since = self._touch_down
            self._touch_down = None
            if abs(dx - x) < 20 and abs(dy - y) < 20:
                inject.tap(self.device, dx, dy, long=time.monotonic() - since >= 0.5)
        return True

    def openNotification(self) -> bool:
        self.screen.shade_open = True
        return True

    def openQuickSettings(self) -> bool:
        return self.openNotification()

    def freezeRotation(self, freeze: bool = True) -> None:
        self.screen.rotation_frozen = bool(freeze)
        self.device.android.settings["system"]["accelerometer_rotation"] = "0" if freeze else "1"

    def setOrientation(self, direction: str) -> None:
        """UiDevice.setOrientationNatural/Left/Right (uiautomator2 sends natural/left/right/upsidedown): the
        display turns and its rotation is frozen there, as the real server's ``setRotation`` does."""
        rotation = ORIENTATIONS.get(str(direction).lower())
        if rotation is None:
            raise InvalidParams(f"unknown orientation {direction!r}: expected natural, left, right or upsidedown")
        self.screen.rotate(rotation)
        self.screen.rotation_frozen = True
        settings = self.device.android.settings["system"]
        settings["accelerometer_rotation"] = "0"
        settings["user_rotation"] = str(rotation)

    def waitForIdle(self, timeout: int = 0) -> None:
        return None

    def waitForWindowUpdate(self, package: str | None = None, timeout: int = 0) -> bool:
        return True

    def getClipboard(self) -> str | None:
        return self.clipboard

    def setClipboard(self, label: Any, text: str) -> None:
        self.clipboard = text

    def getLastToast(self, cache_timeout_ms: Any = TOAST_CACHE_MS) -> str | None:
        """The text of the last toast shown within the cache time (the real server keeps it 5 s)."""
        toast = self.screen.last_toast
        if toast is None:
            return None
        limit = cache_timeout_ms if isinstance(cache_timeout_ms, (int, float)) else TOAST_CACHE_MS
        if (time.monotonic() - toast[1]) * 1000 > limit:
            return None
        return toast[0]

    def clearLastToast(self) -> None:
        self.screen.last_toast = None

    def makeToast(self, text: str, duration: float = 1000) -> bool:
        """Show a toast (seen by getLastToast and logged by the NotificationService like a real one)."""
        self.screen.last_toast = (str(text), time.monotonic())
        system = self.device.android
        system._log("I", "NotificationService", f"Toast: {text} ({int(duration)} ms)")
        return True

    def getLastTraversedText(self) -> str | None:
        return None

    def clearLastTraversedText(self) -> None:
        return None

    def hasAnyWatcherTriggered(self) -> bool:
        return False

    def hasWatcherTriggered(self, name: str) -> bool:
        return False

    def getWatchers(self) -> list[str]:
        return []

    def removeWatcher(self, name: str) -> None:
        return None

    def resetWatcherTriggers(self) -> None:
        return None

    def runWatchers(self) -> None:
        return None

    # -- UiObject ---------------------------------------------------------------------------------
    def exist(self, selector: dict[str, Any]) -> bool:
        return UiSelector(selector).find(self._tree()) is not None

    async def _poll_selector(self, predicate: Any, timeout_ms: int) -> bool:
        """androidx ``UiObject.findAccessibilityNodeInfo(timeout)``: look, and while the time spent is within
        the timeout, sleep ``WAIT_FOR_SELECTOR_POLL`` (1 s) and look again. A real device's server-side wait
        therefore sees a change up to a second late; the simulator must not be quicker than the hardware."""
        started = time.monotonic()
        while True:
            if predicate():
                return True
            if timeout_ms <= 0 or (time.monotonic() - started) * 1000 > timeout_ms or not self._is_running():
                return False
            await asyncio.sleep(WAIT_FOR_SELECTOR_POLL_S)

    async def waitForExists(self, selector: dict[str, Any], timeout: int = 0) -> bool:
        sel = UiSelector(selector)
        return await self._poll_selector(lambda: sel.find(self._tree()) is not None, int(timeout))

    async def waitUntilGone(self, selector: dict[str, Any], timeout: int = 0) -> bool:
        sel = UiSelector(selector)
        return await self._poll_selector(lambda: sel.find(self._tree()) is None, int(timeout))

    def objInfo(self, selector: dict[str, Any]) -> dict[str, Any]:
        return self._obj_info(self._must_find(UiSelector(selector)).node)

    def objInfoOfAllInstances(self, selector: dict[str, Any]) -> list[dict[str, Any]]:
        sel = UiSelector(selector)
        sel.instance = None
        return [self._obj_info(loc.node) for loc in sel.find_all(self._tree())]

    def count(self, selector: dict[str, Any]) -> int:
        return UiSelector(selector).count(self._tree())

    def getText(self, selector: dict[str, Any]) -> str:
        return hierarchy.shown_text(self._must_find(UiSelector(selector)).node)

    def setText(self, selector: dict[str, Any], text: str) -> bool:
        """Works on views whose tree keeps its node objects between builds (an edit field's model)."""
        node = self._must_find(UiSelector(selector)).node
        node.text = text or ""
        return True

    def clearTextField(self, selector: dict[str, Any]) -> None:
        self.setText(selector, "")
