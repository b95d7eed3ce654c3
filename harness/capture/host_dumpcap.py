"""Host-side capture on a named interface (a lab that bridges the device's Wi-Fi): dumpcap or tshark.

Started in its own session (so a Ctrl-C meant for pytest does not reach it and a stop signal reaches only
it), it is running once it prints "Capturing on" (or the file grows); SIGINT makes it close the file
cleanly. dumpcap needs root or ``setcap cap_net_raw,cap_net_admin=eip /usr/bin/dumpcap``; the messages it
prints for a missing interface or permission are turned into typed reasons.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from harness.capture.errors import CaptureUnavailable
from harness.config.capture import CaptureConfig


class HostDumpcap:
    def __init__(self, config: CaptureConfig, path: Path, *, serial: str = "") -> None:
        self.config = config
        self.path = path
        self.serial = serial
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: list[str] = []
        self._running = threading.Event()
        self._reader: threading.Thread | None = None

    def command(self, tool: str) -> list[str]:
        cmd = [tool, "-i", self.config.interface, "-w", str(self.path), "-q"]
        if self.config.filter:
            cmd += ["-f", self.config.filter]
        return cmd

    def start(self) -> None:
        tool = shutil.which(self.config.tool)
        if tool is None:
            raise CaptureUnavailable("no_tool", (
                f"{self.config.tool} not found on PATH: install it (Debian: apt-get install tshark, which brings "
                "dumpcap) for host-side capture"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(self.command(tool), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, start_new_session=True)
        self._reader = threading.Thread(target=self._read_stderr, daemon=True, name="dumpcap stderr")
        self._reader.start()
        deadline = time.monotonic() + self.config.start_timeout_s
        while time.monotonic() < deadline:
            if self._running.is_set() or (self.path.exists() and self.path.stat().st_size > 0):
                return
            if self._proc.poll() is not None:
                break
            time.sleep(0.02)
        self._reader.join(1)
        text = " ".join(self._stderr).strip()
        self.stop()
        lower = text.lower()
        if "permission" in lower or "operation not permitted" in lower:
            raise CaptureUnavailable("no_permission", (
                f"{self.config.tool} may not capture on {self.config.interface}: {text[:300]} -- run as root or "
                f"setcap cap_net_raw,cap_net_admin=eip {tool}"))
        if "no such device" in lower or "doesn't exist" in lower or "there is no device" in lower:
            raise CaptureUnavailable("no_interface", f"no interface {self.config.interface!r} on this host: "
                                                     f"{text[:300]}")
        raise CaptureUnavailable("failed", f"{self.config.tool} did not start capturing on "
                                           f"{self.config.interface} within {self.config.start_timeout_s:g} s: "
                                           f"{text[:300] or 'no output'}")

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in self._proc.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if line:
                self._stderr.append(line)
            if "Capturing on" in line:
                self._running.set()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(3)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._reader is not None:
            self._reader.join(2)
