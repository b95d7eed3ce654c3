"""adbutils (and so uiautomator2) against a simulated device: v1 shell, shell v2, sync, tcp connections."""

from __future__ import annotations

import hashlib
import os
import stat
import time

import adbutils
import pytest

import simulator
from harness.device.adb_server import AdbServer
from simulator.streams import ByteReader, ByteWriter
from tests.conftest import SimFactory


@pytest.fixture(scope="module")
def private_sim(make_module_sim: SimFactory) -> simulator.Simulator:
    return make_module_sim(1)


@pytest.fixture
def device(private_sim: simulator.Simulator, adb_server: AdbServer) -> adbutils.AdbDevice:
    return adb_server.client().device(private_sim.devices[0].serial)


def test_shell_v1_output(device: adbutils.AdbDevice) -> None:
    assert device.shell("echo hi") == "hi"
    assert device.shell(["echo", "a b"]) == "a b"


@pytest.mark.parametrize("v2", [False, True], ids=["v1-echo-exit", "v2-packets"])
def test_shell2_exit_codes(device: adbutils.AdbDevice, v2: bool) -> None:
    ok = device.shell2("echo fine", v2=v2)
    assert (ok.returncode, ok.output.strip()) == (0, "fine")
    failed = device.shell2("sh -c 'exit 3'", v2=v2)
    assert failed.returncode == 3
    missing = device.shell2("no_such_command_xyz", v2=v2)
    assert missing.returncode == 127
    assert "not found" in missing.output


def test_shell2_v2_separates_stderr(device: adbutils.AdbDevice) -> None:
    result = device.shell2("echo out; echo err >&2", v2=True)
    assert result.stdout.strip() == "out"
    assert result.stderr.strip() == "err"


def test_sync_push_pull_stat_list(device: adbutils.AdbDevice, private_sim: simulator.Simulator) -> None:
    data = os.urandom(4 * 1024 * 1024 + 17)
    remote = "/data/local/tmp/adbutils/blob.bin"
    device.sync.push(data, remote, mode=0o644)
    sim_device = private_sim.device(0)
    assert hashlib.md5(private_sim.call(lambda: sim_device.fs.read_file(remote))).hexdigest() == \
        hashlib.md5(data).hexdigest()
    assert device.sync.read_bytes(remote) == data
    info = device.sync.stat(remote)
    assert info.size == len(data)
    assert stat.S_ISREG(info.mode)
    assert device.sync.exists(remote)
    assert not device.sync.exists("/data/local/tmp/adbutils/none")
    names = {entry.path for entry in device.sync.list("/data/local/tmp/adbutils")}
    assert names == {".", "..", "blob.bin"}


def test_sync_push_text_and_pull_to_file(device: adbutils.AdbDevice, tmp_path) -> None:
    device.sync.push(b"hello\n", "/sdcard/Download/hello.txt")
    assert device.sync.read_text("/sdcard/Download/hello.txt") == "hello\n"
    target = tmp_path / "hello.txt"
    assert device.sync.pull("/sdcard/Download/hello.txt", target) == 6
    assert target.read_bytes() == b"hello\n"


def test_create_connection_to_device_port(device: adbutils.AdbDevice, private_sim: simulator.Simulator) -> None:
    sim_device = private_sim.device(0)

    async def greeter(reader: ByteReader, writer: ByteWriter) -> None:
        name = await reader.read()
        await writer.write(b"hello " + name)
        await writer.close()

    private_sim.call(lambda: sim_device.services.close(7200))
    private_sim.call(lambda: sim_device.services.listen(7200, greeter))
    sock = device.create_connection(adbutils.Network.TCP, 7200)
    try:
        sock.sendall(b"tester")
        reply = b""
        while chunk := sock.recv(100):
            reply += chunk
        assert reply == b"hello tester"
    finally:
        sock.close()
        private_sim.call(lambda: sim_device.services.close(7200))
    with pytest.raises(adbutils.AdbError):
        device.create_connection(adbutils.Network.TCP, 7200)


def test_closing_a_streaming_shell_ends_its_command(device: adbutils.AdbDevice) -> None:
    """uiautomator2 keeps its server alive by holding a v1 shell stream; closing it must end the command."""

    def sleepers() -> list[str]:
        return [line for line in device.shell("ps -A").splitlines() if line.endswith(" sleep")]

    conn = device.open_shell("sleep 1000")
    try:
        deadline = time.monotonic() + 5
        while not sleepers() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sleepers()) == 1
    finally:
        conn.close()
    deadline = time.monotonic() + 5
    while sleepers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleepers() == []
