"""An isolated adb server owned by one test session.

A run must never disturb the adb server a lab engineer already uses (port 5037, their devices, their
keys), so a session that simulates devices starts its own server on a private port and stops exactly that
server at the end. Attaching to an existing server (real devices) is the same class with ``owned=False``.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import adbutils

from harness.errors import AdbServerError
from simulator import NoStartAdbClient, adb_server_env, bundled_adb_path, prepare_adb_home

DEFAULT_ISOLATED_PORT = 15037


def port_is_listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_server_port(start: int = DEFAULT_ISOLATED_PORT, span: int = 2000) -> int:
    """The first port from ``start`` on which nothing listens and we can bind (below the ephemeral range)."""
    for port in range(start, start + span):
        if port_is_listening(port):
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise AdbServerError(f"no free adb server port in {start}-{start + span - 1}")


class AdbServer:
    """One adb server: ``start()`` launches it (when owned), ``stop()`` kills only a server we started."""

    def __init__(self, port: int | None = None, adb_path: str | None = None, *, home: Path | None = None,
                 owned: bool = True) -> None:
        self.adb_path = adb_path or bundled_adb_path()
        self.owned = owned
        self.port = port if port is not None else (free_server_port() if owned else
                                                   int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037")))
        self.home = home
        self._started = False

    @property
    def env(self) -> dict[str, str]:
        """Environment for adb commands and clients that must reach this server (and only it)."""
        env = adb_server_env(self.port, self.adb_path)
        if self.home is not None:
            env["HOME"] = str(self.home)
        return env

    def start(self) -> AdbServer:
        if not self.owned:
            return self
        if port_is_listening(self.port):
            raise AdbServerError(
                f"port {self.port} is already in use; an isolated adb server needs a free port "
                f"(pass another --adb-port)")
        try:
            prepare_adb_home(self.adb_path, self.home)
        except OSError as exc:
            raise AdbServerError(f"cannot prepare the adb key directory for the server on port {self.port}: {exc}") \
                from exc
        proc = self.adb("start-server", timeout=30)
        if proc.returncode != 0:
            raise AdbServerError(f"'{self.adb_path} -P {self.port} start-server' failed: {proc.stderr.strip()}")
        self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            self.adb("kill-server", timeout=15)
            self._started = False

    def __enter__(self) -> AdbServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def adb(self, *args: str, timeout: float = 60, input: bytes | None = None,
            text: bool = True) -> subprocess.CompletedProcess:
        """Run the adb CLI against this server and capture its output."""
        try:
            return subprocess.run([self.adb_path, "-P", str(self.port), *args], env=self.env,
                                  capture_output=True, timeout=timeout, input=input, text=text)
        except FileNotFoundError as exc:
            raise AdbServerError(f"adb binary not found: {self.adb_path}") from exc

    def client(self) -> adbutils.AdbClient:
        return NoStartAdbClient(host="127.0.0.1", port=self.port)
