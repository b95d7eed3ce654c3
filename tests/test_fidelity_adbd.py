"""Fidelity: the adbd services a userdebug device answers (root/unroot, remount, reverse), and how a user
build refuses them, with the real adb 29 and adb 36 command lines and adbutils."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import adbutils
import pytest

from harness.device.adb_server import AdbServer
from tests.conftest import DEVICE_PORT, SimFactory
from tests.fidelity_helpers import USER_PROFILE, Cli

REVERSE_PORTS = iter(range(DEVICE_PORT + 700, DEVICE_PORT + 800))


@pytest.fixture(scope="module", params=["adb36", "adb29"])
def cli(request: pytest.FixtureRequest, adb_server: AdbServer, make_module_sim: SimFactory) -> Iterator[Cli]:
    server = request.getfixturevalue("adb29_server") if request.param == "adb29" else adb_server
    running = make_module_sim(1, adb_path=server.adb_path, adb_server_port=server.port, time_scale=0.05)
    yield Cli(request.param, server, running)
    running.stop()


@pytest.fixture(scope="module")
def user_cli(adb_server: AdbServer, make_module_sim: SimFactory) -> Iterator[Cli]:
    running = make_module_sim(1, profile=USER_PROFILE, time_scale=0.05)
    yield Cli("adb36-user", adb_server, running)
    running.stop()


def _become(cli: Cli, root: bool) -> None:
    uid = cli.shell("id -u").strip()
    if (uid == "0") != root:
        result = cli.adb("root" if root else "unroot", timeout=40)
        assert result.returncode == 0, result.stderr
        cli.wait_device()


def test_root_then_unroot_restarts_adbd(cli: Cli) -> None:
    _become(cli, False)
    adbd_before = cli.shell("pidof adbd").strip()
    result = cli.adb("root", timeout=40)
    assert (result.returncode, result.stdout) == (0, "restarting adbd as root\n"), result.stderr
    cli.wait_device()
    assert cli.shell("id").startswith("uid=0(root) gid=0(root)")
    assert cli.shell("pidof adbd").strip() != adbd_before  # adbd really restarted
    assert cli.shell("getprop service.adb.root") == "1\n"
    again = cli.adb("root")
    assert again.stdout == "adbd is already running as root\n"
    result = cli.adb("unroot", timeout=40)
    assert (result.returncode, result.stdout) == (0, "restarting adbd as non root\n"), result.stderr
    cli.wait_device()
    assert cli.shell("id -u") == "2000\n"
    assert cli.adb("unroot").stdout == "adbd not running as root\n"


def test_adbutils_root_reads_the_reply(cli: Cli) -> None:
    _become(cli, False)
    device = cli.server.client().device(cli.serial)
    assert device.root() == "restarting adbd as root\n"
    # adbutils does not wait for the restart (adb root does): poll as a script would.
    deadline = time.monotonic() + 30
    uid = ""
    while uid != "0" and time.monotonic() < deadline:
        time.sleep(0.2)
        with contextlib.suppress(adbutils.AdbError, OSError):
            uid = device.shell("id -u")
    assert uid == "0"
    _become(cli, False)


def test_remount_needs_root_then_makes_system_writable(cli: Cli, tmp_path: Path) -> None:
    _become(cli, False)
    refused = cli.adb("remount")
    assert refused.returncode != 0
    assert 'Not running as root. Try "adb root" first.' in refused.stdout + refused.stderr
    local = tmp_path / "hosts"
    local.write_text("127.0.0.1 localhost\n")
    _become(cli, True)
    push = cli.adb("push", str(local), "/system/etc/hosts.fidelity")
    assert push.returncode != 0 and "Read-only file system" in push.stdout + push.stderr
    assert "Read-only file system" in cli.adb("shell", "touch /system/x").stderr
    done = cli.adb("remount")
    assert done.returncode == 0, done.stderr
    assert "Remount succeeded" in done.stdout
    assert cli.adb("push", str(local), "/system/etc/hosts.fidelity").returncode == 0
    assert cli.shell("cat /system/etc/hosts.fidelity") == "127.0.0.1 localhost\n"
    _become(cli, False)
    assert "Permission denied" in cli.adb("shell", "touch /system/y").stderr  # remounted, but not root


class _Upper(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data = self.request.recv(100)
        self.request.sendall(data.upper())


@pytest.fixture
def host_service() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Upper)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_reverse_reaches_the_host_and_lists_and_removes(cli: Cli, host_service: int) -> None:
    device_port, local = next(REVERSE_PORTS), next(REVERSE_PORTS)
    result = cli.adb("reverse", f"tcp:{device_port}", f"tcp:{host_service}")
    assert result.returncode == 0, result.stderr
    listed = cli.adb("reverse", "--list").stdout
    assert f"tcp:{device_port} tcp:{host_service}" in listed
    # Through the device and back: host -> adb forward -> device port -> adb reverse -> host service.
    assert cli.adb("forward", f"tcp:{local}", f"tcp:{device_port}").returncode == 0
    try:
        with socket.create_connection(("127.0.0.1", local), timeout=10) as sock:
            sock.sendall(b"through the device")
            got = b""
            while len(got) < 18:
                chunk = sock.recv(100)
                if not chunk:
                    break
                got += chunk
        assert got == b"THROUGH THE DEVICE"
    finally:
        cli.adb("forward", "--remove", f"tcp:{local}")
    # From a program on the device: nc to the reversed port reaches the host's service.
    assert cli.shell(f"echo from the device | nc 127.0.0.1 {device_port}") == "FROM THE DEVICE\n"
    rebind = cli.adb("reverse", "--no-rebind", f"tcp:{device_port}", f"tcp:{host_service}")
    assert rebind.returncode != 0 and "cannot rebind existing socket" in rebind.stderr
    assert cli.adb("reverse", "--remove", f"tcp:{device_port}").returncode == 0
    assert f"tcp:{device_port}" not in cli.adb("reverse", "--list").stdout
    missing = cli.adb("reverse", "--remove", f"tcp:{device_port}")
    assert missing.returncode != 0 and f"listener 'tcp:{device_port}' not found" in missing.stderr
    cli.adb("reverse", f"tcp:{device_port}", f"tcp:{host_service}")
    assert cli.adb("reverse", "--remove-all").returncode == 0
    assert cli.adb("reverse", "--list").stdout.strip() == ""


def test_adbutils_reverse_list(cli: Cli, host_service: int) -> None:
    device = cli.server.client().device(cli.serial)
    port = next(REVERSE_PORTS)
    device.reverse(f"tcp:{port}", f"tcp:{host_service}")
    try:
        assert [(r.remote, r.local) for r in device.reverse_list()] == [(f"tcp:{port}", f"tcp:{host_service}")]
    finally:
        device.reverse_remove_all()
    assert device.reverse_list() == []


def test_user_build_refuses_root_and_remount(user_cli: Cli) -> None:
    result = user_cli.adb("root")
    assert (result.returncode, result.stdout) == (0, "adbd cannot run as root in production builds\n")
    assert user_cli.shell("id -u") == "2000\n"
    assert user_cli.server.client().device(user_cli.serial).root() == \
        "adbd cannot run as root in production builds\n"
    remount = user_cli.adb("remount")
    assert remount.returncode != 0
    assert "Device must be userdebug build" in remount.stdout + remount.stderr
    assert user_cli.adb("unroot").stdout == "adbd not running as root\n"


def test_reboot_takes_the_profiles_time_scaled(cli: Cli) -> None:
    """adb reboot: the device keeps running for ``shutdown_s``, then stays away for ``boot_time_s`` (both times
    the time scale, 0.05 here), then comes back unprivileged with a fresh uptime."""
    device = cli.sim.device(0)
    profile = device.profile
    _become(cli, True)
    started = time.monotonic()
    assert cli.adb("reboot").returncode == 0
    while cli.state() == "device":  # the link stays up while the framework shuts down
        time.sleep(0.01)
    went_down = time.monotonic() - started
    assert went_down >= profile.shutdown_s * 0.05
    while not cli.sim.call(lambda: device.online):
        time.sleep(0.02)
    back = time.monotonic() - started
    assert back >= (profile.shutdown_s + profile.boot_time_s) * 0.05
    cli.wait_device(timeout=40)
    assert cli.shell("id -u") == "2000\n"  # service.adb.root does not survive a reboot
    assert float(cli.shell("cat /proc/uptime").split()[0]) < 30


def test_su_on_userdebug_not_on_user_build(cli: Cli, user_cli: Cli) -> None:
    _become(cli, False)
    assert cli.shell("su 0 id -u") == "0\n"
    assert cli.shell("su root sh -c 'whoami'") == "root\n"
    missing = user_cli.adb("shell", "su 0 id")
    assert missing.returncode == 127 and "su: not found" in missing.stderr


def test_tcpip_restarts_adbd_and_the_device_comes_back(cli: Cli) -> None:
    result = cli.adb("tcpip", "5555")
    assert (result.returncode, result.stdout) == (0, "restarting in TCP mode port: 5555\n")
    deadline = time.monotonic() + 30
    answer = ""
    while answer != "5555\n" and time.monotonic() < deadline:
        time.sleep(0.2)
        answer = cli.adb("shell", "getprop service.adb.tcp.port").stdout
    assert answer == "5555\n"
