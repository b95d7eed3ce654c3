"""Open a report in headless Chromium over the DevTools protocol (``--remote-debugging-pipe``): console errors,
uncaught exceptions, dialogs (an ``alert`` means injected script ran), a full-page screenshot, DOM queries.

Used by the report tests and the report benchmark. The pipe (fds 3 and 4, NUL-separated JSON) needs no port and
no websocket library, and reports console errors as structured events rather than log lines to scrape. Debian's
``chromium`` package; flags keep it offline and quiet (no first-run, no component updates, no QUIC).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe")


class BrowserError(HarnessError):
    """Chromium is missing, died, or did not answer in time."""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageResult:
    url: str
    load_s: float  # navigate -> load event
    settle_s: float  # navigate -> screenshot taken (scripts ran, layout done)
    screenshot: bytes  # PNG of the full page (up to max_height)
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, failed loads
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt messages: script that should not run
    width: int = 0
    height: int = 0
    value: Any = None  # the JSON value of ``expression`` (evaluated after the screenshot, same layout)


class Chromium:
    """One headless Chromium; :meth:`open` loads a page in a fresh tab. Use as a context manager."""

    def __init__(self, binary: str | None = None, timeout_s: float = 60.0) -> None:
        self.binary = binary or find_chromium()
        if self.binary is None:
            raise BrowserError("chromium not found: install Debian's chromium (apt-get install -y chromium)")
        self.timeout_s = timeout_s
        self._profile = tempfile.TemporaryDirectory(prefix="wmpf-chromium-")
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}
        self._dialogs: dict[str | None, list[str]] = {}
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Chromium:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # above 3 and 4, so the child's dup2 onto 3/4 cannot clobber one of them
        high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 100)
        high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 100)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def child_fds() -> None:
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [str(self.binary), *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=child_fds, start_new_session=True)
        os.close(high_r)
        os.close(high_w)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(BrowserError, OSError):
                self._send("Browser.close", timeout_s=5)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None
        for fd in (getattr(self, "_to_chrome", None), getattr(self, "_from_chrome", None)):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._to_chrome = self._from_chrome = None  # type: ignore[assignment]
        self._profile.cleanup()

    # -- protocol --------------------------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium closed the DevTools pipe (exit {self.proc and self.proc.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _write(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _dispatch(self, message: dict[str, Any]) -> None:
        """Replies are kept by id; a dialog is accepted at once (it would block the page); events are queued."""
        if "id" in message:
            self._replies[message["id"]] = message
        elif message.get("method") == "Page.javascriptDialogOpening":
            session = message.get("sessionId")
            self._dialogs.setdefault(session, []).append(str(message.get("params", {}).get("message")))
            self._write("Page.handleJavaScriptDialog", {"accept": True}, session)
        elif "method" in message:
            self._events.append(message)

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
              timeout_s: float | None = None) -> dict[str, Any]:
        wanted = self._write(method, params, session)
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while wanted not in self._replies:
            self._dispatch(self._read_message(deadline))
        reply = self._replies.pop(wanted)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _wait_event(self, method: str, session: str, deadline: float) -> dict[str, Any]:
        while True:
            for index, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self._events.pop(index)
            self._dispatch(self._read_message(deadline))

    # -- pages --------------------------------------------------------------------------------------------
    def open(self, target: str | Path, *, width: int = 1400, max_height: int = 8000, settle_s: float = 0.3,
             query: str = "", expression: str | None = None) -> PageResult:
        """Load ``target`` (a file path or URL), wait for load and ``settle_s``, screenshot the full page."""
        url = Path(target).resolve().as_uri() + query if not str(target).startswith(("http:", "file:", "data:")) \
            else str(target)
        target_id = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
        try:
            for domain in ("Page", "Runtime", "Log"):
                self._send(f"{domain}.enable", session=session)
            self._send("Emulation.setDeviceMetricsOverride",
                       {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
            self._events.clear()
            start = time.monotonic()
            deadline = start + self.timeout_s
            self._send("Page.navigate", {"url": url}, session)
            self._wait_event("Page.loadEventFired", session, deadline)
            load_s = time.monotonic() - start
            time.sleep(settle_s)
            metrics = self._send("Page.getLayoutMetrics", session=session)
            size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
            height = int(min(max_height, max(900, size.get("height", 900))))
            self._send("Emulation.setDeviceMetricsOverride",
                       {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
            shot = self._send("Page.captureScreenshot", {"format": "png"}, session)
            settle = time.monotonic() - start
            value = None
            if expression is not None:
                value = self._send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                   session).get("result", {}).get("value")
            errors, dialogs = self._collect(session)
            return PageResult(url, load_s, settle, base64.b64decode(shot["data"]), errors, dialogs, width, height,
                              value)
        finally:
            self._send("Target.closeTarget", {"targetId": target_id})

    def _collect(self, session: str) -> tuple[list[str], list[str]]:
        errors: list[str] = []
        dialogs = self._dialogs.pop(session, [])
        kept = []
        for event in self._events:
            if event.get("sessionId") != session:
                kept.append(event)
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append("exception: " + str(details.get("exception", {}).get("description")
                                                  or details.get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", "")))
                                                           for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                errors.append(f"log: {entry.get('text')} {entry.get('url') or ''}".strip())
        self._events = kept
        return errors, dialogs


def box_pixels(png: bytes, box: tuple[int, int, int, int]) -> list[tuple[int, int, int]]:
    """The RGB pixels of ``png`` inside ``box`` (left, top, right, bottom)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        raw = img.convert("RGB").crop(box).tobytes()
    return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]


def coloured_pixels(png: bytes, rgb: tuple[int, int, int], tolerance: int = 40,
                    box: tuple[int, int, int, int] | None = None) -> int:
    """How many pixels of ``png`` (within ``box``) are within ``tolerance`` of ``rgb`` on every channel."""


    pixels = box_pixels(png, box) if box is not None else _all_pixels(png)
    r0, g0, b0 = rgb
    return sum(1 for r, g, b in pixels
               if abs(r - r0) <= tolerance and abs(g - g0) <= tolerance and abs(b - b0) <= tolerance)


def _all_pixels(png: bytes) -> list[tuple[int, int, int]]:
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        return box_pixels(png, (0, 0, img.width, img.height))
