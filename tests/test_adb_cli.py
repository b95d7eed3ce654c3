"""The adb command line against a simulated device, with both real adb versions the lab meets.

adb 36 (bundled with adbutils) and Debian's adb 29 differ in what they send: shell v2 close-stdin right
after start (29), SND2/RCV2 (36, because the device advertises sendrecv_v2), retry intervals after a drop.
Every test runs with both.
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.device.adb_server import AdbServer, free_server_port
from simulator.streams import ByteReader, ByteWriter
from tests.conftest import DEVICE_PORT, SimFactory
from tests.fidelity_helpers import Cli


@pytest.fixture(scope="module", params=["adb36", "adb29"])
def cli(request: pytest.FixtureRequest, adb_server: AdbServer, make_module_sim: SimFactory) -> Iterator[Cli]:
    server = request.getfixturevalue("adb29_server") if request.param == "adb29" else adb_server
    # A reboot takes the profile's 38 s of boot at scale 1; 0.05 keeps the test short with the same shape.
    running = make_module_sim(1, adb_path=server.adb_path, adb_server_port=server.port, time_scale=0.05)
    yield Cli(request.param, server, running)
    running.stop()  # one simulated device at a time: the next version gets a fresh one


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_devices_lists_model(cli: Cli) -> None:
    out = cli.server.adb("devices", "-l").stdout
    line = next(line for line in out.splitlines() if line.startswith(cli.serial))
    assert " device " in line
    assert "model:" + cli.sim.devices[0].model.replace(" ", "_") in line
    assert "product:wmpf_t10" in line


def test_shell_exit_status(cli: Cli) -> None:
    assert cli.adb("shell", "exit 42").returncode == 42
    result = cli.adb("shell", "echo hello")
    assert (result.returncode, result.stdout) == (0, "hello\n")


def test_unknown_command_is_127_with_stderr(cli: Cli) -> None:
    result = cli.adb("shell", "no_such_command_xyz")
    assert result.returncode == 127
    assert result.stdout == ""
    assert "no_such_command_xyz" in result.stderr and "not found" in result.stderr


def test_shell_reads_script_from_stdin(cli: Cli) -> None:
    result = cli.adb("shell", input=b"echo one\necho two\nexit 5\n")
    assert result.returncode == 5
    assert result.stdout.replace(b"\r\n", b"\n") == b"one\ntwo\n"


def test_exec_out_is_raw_bytes(cli: Cli) -> None:
    payload = bytes(range(256)) * 4 + b"\r\n\n"
    device = cli.sim.device(0)
    cli.sim.call(lambda: device.fs.write_file("/data/local/tmp/raw.bin", payload))
    result = cli.adb("exec-out", "cat /data/local/tmp/raw.bin", input=b"")
    assert result.returncode == 0
    assert result.stdout == payload


def test_exec_out_screencap_is_png(cli: Cli) -> None:
    result = cli.adb("exec-out", "screencap -p", input=b"")
    assert result.returncode == 0
    assert result.stdout[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", result.stdout[16:24])  # IHDR
    assert (width, height) == (1200, 1920)


def test_logcat_dump_shows_lines(cli: Cli) -> None:
    result = cli.adb("logcat", "-d")
    assert result.returncode == 0
    assert "ActivityManager" in result.stdout and "adbd started" in result.stdout


def test_streaming_logcat_receives_a_later_line(cli: Cli) -> None:
    proc = subprocess.Popen([cli.server.adb_path, "-P", str(cli.server.port), "-s", cli.serial, "logcat",
                             "-s", "HilCliProbe"], env=cli.server.env, stdout=subprocess.PIPE, text=True)
    device = cli.sim.device(0)
    try:
        assert proc.stdout is not None
        time.sleep(0.5)  # the stream is open and past the dump before the line is logged
        cli.sim.call(lambda: device.logcat.log("I", "HilCliProbe", f"after start via {cli.name}", pid=4242))
        deadline, line = time.monotonic() + 10, ""
        while time.monotonic() < deadline and "after start" not in line:
            line = proc.stdout.readline()
        assert line.rstrip().endswith(f"I HilCliProbe: after start via {cli.name}"), line
    finally:
        proc.terminate()
        proc.wait(10)


def test_push_pull_4mib_round_trip(cli: Cli, tmp_path: Path) -> None:
    data = os.urandom(4 * 1024 * 1024)
    src, dst = tmp_path / "src.bin", tmp_path / "dst.bin"
    src.write_bytes(data)
    remote = f"/data/local/tmp/{cli.name}/new/dir/blob.bin"  # parents are created (fixed_push_mkdir)
    pushed = cli.adb("push", str(src), remote)
    assert pushed.returncode == 0, pushed.stderr
    device = cli.sim.device(0)
    assert _md5(cli.sim.call(lambda: device.fs.read_file(remote))) == _md5(data)
    pulled = cli.adb("pull", remote, str(dst))
    assert pulled.returncode == 0, pulled.stderr
    assert _md5(dst.read_bytes()) == _md5(data)
    md5 = cli.adb("shell", f"md5sum {remote}")
    if md5.returncode == 0:  # needs the device's md5sum
        assert md5.stdout.split()[0] == _md5(data)


def test_push_error_is_reported(cli: Cli, tmp_path: Path) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    device = cli.sim.device(0)
    cli.sim.call(lambda: device.fs.write_file("/data/local/tmp/plainfile", b"x"))
    result = cli.adb("push", str(src), "/data/local/tmp/plainfile/inside.txt")
    assert result.returncode != 0
    assert "Not a directory" in result.stderr + result.stdout


def test_pull_missing_file_fails(cli: Cli, tmp_path: Path) -> None:
    result = cli.adb("pull", "/data/local/tmp/does-not-exist", str(tmp_path / "x"))
    assert result.returncode != 0
    assert "No such file or directory" in result.stderr + result.stdout


def test_ls(cli: Cli) -> None:
    device = cli.sim.device(0)
    cli.sim.call(lambda: device.fs.write_file("/data/local/tmp/ls-me.txt", b"12345"))
    result = cli.adb("ls", "/data/local/tmp")
    assert result.returncode == 0
    rows = {line.split()[-1]: line.split() for line in result.stdout.splitlines()}
    assert {".", "..", "ls-me.txt"} <= set(rows)
    assert int(rows["ls-me.txt"][1], 16) == 5
    assert rows["."][0].startswith("000041")  # a directory's mode


def test_forward_reaches_device_service(cli: Cli) -> None:
    device = cli.sim.device(0)

    async def upper_echo(reader: ByteReader, writer: ByteWriter) -> None:
        while data := await reader.read():
            await writer.write(data.upper())

    cli.sim.call(lambda: device.services.close(7100))
    cli.sim.call(lambda: device.services.listen(7100, upper_echo))
    local = free_server_port(DEVICE_PORT + 900, span=100)  # a port someone else holds is skipped
    assert cli.adb("forward", f"tcp:{local}", "tcp:7100").returncode == 0
    try:
        with socket.create_connection(("127.0.0.1", local), timeout=10) as sock:
            sock.sendall(b"hello device")
            got = b""
            while len(got) < 12:
                got += sock.recv(100)
        assert got == b"HELLO DEVICE"
        cli.sim.call(lambda: device.services.close(7100))
        with socket.create_connection(("127.0.0.1", local), timeout=10) as sock:
            assert sock.recv(100) == b""  # the device refused tcp:7100: the host closes
    finally:
        cli.adb("forward", "--remove", f"tcp:{local}")


def test_reboot_goes_offline_and_comes_back(cli: Cli) -> None:
    result = cli.adb("reboot", timeout=30)
    assert result.returncode == 0, result.stderr
    assert cli.wait_state({"offline", "absent"}, timeout=10) in {"offline", "absent"}
    # adb 29 retries a dropped TCP device about every 10 s, adb 36 every 3 s.
    if cli.wait_state({"device"}, timeout=40) != "device":
        cli.server.adb("connect", cli.serial)  # adb forgot it: a lab script would reconnect too
    assert cli.wait_state({"device"}, timeout=20) == "device"
    assert cli.adb("shell", "echo back").stdout == "back\n"


def test_interactive_pty_session(cli: Cli) -> None:
    """``adb shell -tt``: a pty session (prompt, echo, CR line ends) where ``exit N`` sets adb's status."""
    result = cli.server.adb("-s", cli.serial, "shell", "-tt", input=b"echo hi\rexit 3\r", text=False, timeout=20)
    assert result.returncode == 3
    assert b"$ echo hi\r\nhi\r\n" in result.stdout
    command = cli.server.adb("-s", cli.serial, "shell", "-tt", "echo x; exit 4", input=b"", text=False)
    assert (command.returncode, command.stdout) == (4, b"x\r\n")  # a pty turns \n into \r\n
