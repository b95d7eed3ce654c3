"""Talking to the host's adb server on the simulator's behalf: start it, connect devices, watch states.

The simulator only ever *joins* an adb server (``start-server`` is idempotent, ``connect`` and
``disconnect`` touch only its own devices); stopping a server is the business of whoever started it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import subprocess
import time
from importlib import resources
from pathlib import Path

import adbutils

from simulator.errors import AdbConnectError
from simulator.lockfiles import open_lock

# Environment for any adb server we start: no mDNS on UDP 5353, no emulator port scan.
QUIET_SERVER_ENV = {"ADB_MDNS": "0", "ADB_EMU": "0"}


def bundled_adb_path() -> str:
    """The adb binary shipped inside the adbutils wheel (adb 36 at the time of writing)."""
    path = Path(str(resources.files("adbutils") / "binaries" / "adb"))
    if not path.is_file():
        raise AdbConnectError(f"adbutils ships no adb binary at {path}; pass an adb path explicitly")
    return str(path)


def adb_server_env(port: int, adb_path: str) -> dict[str, str]:
    """Environment reaching the adb server on ``port`` (and starting one quietly if none runs)."""
    env = dict(os.environ)
    env.update(QUIET_SERVER_ENV)
    env["ANDROID_ADB_SERVER_PORT"] = str(port)
    env["ADBUTILS_ADB_PATH"] = adb_path
    return env


def prepare_adb_home(adb_path: str, home: Path | None = None) -> Path:
    """Create ``$HOME/.android`` and the host's adb key before a server starts, under a lock.

    Two adb servers starting at once with one HOME (pytest-xdist workers, parallel CI jobs) race: each finds no
    ``.android``, one's ``mkdir`` fails and that server dies ("Cannot mkdir ... File exists"); two key generations
    can leave a half-written ``adbkey``. Making both here, serialised by a lock file, leaves adb nothing to create.
    The lock file is one per key directory, in the user's private lock directory, opened without following
    symlinks (:mod:`simulator.lockfiles`): never a file another user could plant or hold.
    """
    android = (home if home is not None else Path(os.environ.get("HOME") or Path.home())) / ".android"
    android.mkdir(parents=True, exist_ok=True)
    key = android / "adbkey"
    if key.is_file() and (android / "adbkey.pub").is_file():
        return android
    name = "adbkey-" + hashlib.sha256(str(android.resolve()).encode()).hexdigest()[:16] + ".lock"
    fd = open_lock(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not (key.is_file() and (android / "adbkey.pub").is_file()):
            env = dict(os.environ, HOME=str(android.parent))
            subprocess.run([adb_path, "keygen", str(key)], env=env, capture_output=True, timeout=30, check=False)
    finally:
        os.close(fd)  # closing drops the flock
    return android


def default_server_port() -> int:
    return int(os.environ.get("ANDROID_ADB_SERVER_PORT", "5037"))


def server_answers(port: int) -> bool:
    """Whether something (an adb server) already listens on ``port``. A bare connect: adbutils' client would
    start a server of its own on the default port when it finds none."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def ensure_server(adb_path: str, port: int, timeout: float = 20.0) -> bool:
    """Start the adb server on ``port`` with ``adb_path`` unless one already answers there; whether we started it
    (then it is ours to stop: :func:`kill_server`)."""
    if server_answers(port):
        return False
    try:
        prepare_adb_home(adb_path)
        subprocess.run([adb_path, "-P", str(port), "start-server"], env=adb_server_env(port, adb_path),
                       capture_output=True, timeout=timeout, check=True)
    except FileNotFoundError as exc:
        raise AdbConnectError(f"adb binary not found: {adb_path}") from exc
    except OSError as exc:  # ~/.android not writable, no space...
        raise AdbConnectError(f"cannot prepare the adb key directory (~/.android) for the server: {exc}") from exc
    except subprocess.CalledProcessError as exc:
        raise AdbConnectError(
            f"'{adb_path} -P {port} start-server' failed ({exc.returncode}): "
            f"{(exc.stderr or b'').decode(errors='replace').strip()}"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise AdbConnectError(f"adb server on port {port} did not start within {timeout:.0f} s") from exc
    return True


def kill_server(adb_path: str, port: int) -> None:
    """Stop the adb server on ``port`` (one this process started); a server already gone is no trouble."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run([adb_path, "-P", str(port), "kill-server"], env=adb_server_env(port, adb_path),
                       capture_output=True, timeout=15, check=False)


class _NoStartConnection(adbutils.AdbConnection):
    """adbutils' connection to the server minus its fallback of starting one (adbutils 2.12's hook, pinned in
    constraints.txt; ``tests/test_adb_client.py`` fails if a new version changes it)."""

    def _safe_connect(self):  # type: ignore[no-untyped-def]  # adbutils' own hook, untyped there
        return self._create_socket()  # AdbConnectionError / AdbTimeout when no server listens


class NoStartAdbClient(adbutils.AdbClient):
    """``adbutils.AdbClient`` that never starts an adb server.

    adbutils, finding no server where it was pointed, runs ``adb start-server`` and tries again. That server
    starts on the *default* port (5037, or ``$ANDROID_ADB_SERVER_PORT``), not the one the client was given: a
    process whose isolated server died would start (and leave running) a server on the lab's own port, and then
    talk to the wrong server. A gone server is a fault to see and name, so this client fails the connection.
    The simulator's own connects and the harness's clients (exported as ``simulator.NoStartAdbClient``) use it.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 5037, socket_timeout: float | None = None) -> None:
        super().__init__(host=host, port=port, socket_timeout=socket_timeout)
        self._timeout = socket_timeout

    def make_connection(self, timeout: float | None = None) -> adbutils.AdbConnection:
        timeout = timeout or self._timeout
        try:
            conn = _NoStartConnection(self.host, self.port)
        except TimeoutError:
            raise adbutils.AdbTimeout("connect to adb server timeout") from None
        if timeout:
            conn.conn.settimeout(timeout)
        return conn


def client(port: int) -> adbutils.AdbClient:
    return NoStartAdbClient(host="127.0.0.1", port=port, socket_timeout=10)


def connect(port: int, addr: str) -> None:
    reply = client(port).connect(addr, timeout=10)
    if "connected" not in reply:
        raise AdbConnectError(f"adb server on port {port} could not connect {addr}: {reply.strip()}")


def disconnect(port: int, addr: str) -> None:
    # The server may already be gone; then nothing of ours is left to clean.
    with contextlib.suppress(adbutils.AdbError, OSError):
        client(port).disconnect(addr)


def wait_states(port: int, addrs: list[str], states: tuple[str, ...] = ("device",),
                timeout: float = 30.0) -> dict[str, str]:
    """Wait until each address shows one of ``states`` in ``adb devices``; return the states seen."""
    deadline = time.monotonic() + timeout
    seen: dict[str, str] = {}
    while True:
        seen = {info.serial: info.state for info in client(port).list()}
        if all(seen.get(a) in states for a in addrs):
            return {a: seen[a] for a in addrs}
        if time.monotonic() > deadline:
            missing = {a: seen.get(a, "absent") for a in addrs if seen.get(a) not in states}
            raise AdbConnectError(f"devices not in state {'/'.join(states)} after {timeout:.0f} s: {missing}")
        time.sleep(0.05)
