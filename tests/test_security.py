"""Security of what the harness leaves on the host and sends to a device: private lock files that no symlink can
redirect, and a device tcpdump command quoted like a broadcast push (nothing in its filter ever runs)."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path
from types import ModuleType

import pytest

import harness.lockfiles
import simulator.lockfiles
from harness.capture import CaptureConfig
from harness.capture.device_tcpdump import DeviceTcpdump
from harness.capture.errors import CaptureUnavailable
from harness.device.adb_server import AdbServer, free_server_port
from harness.device.pool import claim_serial
from harness.device.session import DeviceSession
from harness.errors import AdbServerError
from tests.conftest import ADB_PORT

LOCK_MODULES = pytest.mark.parametrize("locks", [harness.lockfiles, simulator.lockfiles], ids=["harness", "sim"])
CANARY = "/data/local/tmp/canary"


@LOCK_MODULES
def test_lock_dir_is_created_private(tmp_path: Path, locks: ModuleType) -> None:
    directory = locks.private_dir(tmp_path / "locks")
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700 and directory.stat().st_uid == os.geteuid()
    fd = locks.open_lock("a.lock", directory)
    os.close(fd)
    assert stat.S_IMODE((directory / "a.lock").stat().st_mode) == 0o600


@LOCK_MODULES
def test_lock_dir_others_can_enter_is_refused(tmp_path: Path, locks: ModuleType) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(locks.UnsafeLockDir, match="mode 0777: other users can enter it"):
        locks.open_lock("a.lock", shared)
    assert not (shared / "a.lock").exists()


@LOCK_MODULES
def test_symlinked_lock_dir_is_refused(tmp_path: Path, locks: ModuleType) -> None:
    real = locks.private_dir(tmp_path / "real")
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(locks.UnsafeLockDir, match="symlink"):
        locks.open_lock("a.lock", tmp_path / "link")
    assert not (real / "a.lock").exists()


@LOCK_MODULES
def test_lock_dir_of_another_user_is_refused(tmp_path: Path, locks: ModuleType) -> None:
    if os.geteuid() == 0:  # CI runs as root: give the directory away
        theirs = tmp_path / "theirs"
        theirs.mkdir(mode=0o700)
        os.chown(theirs, 65534, 65534)
    else:  # anyone else: a directory root owns
        theirs = Path("/")
    with pytest.raises(locks.UnsafeLockDir, match="belongs to uid"):
        locks.open_lock("a.lock", theirs)


def test_a_planted_symlink_lock_file_is_refused_not_followed(tmp_path: Path) -> None:
    """The classic /tmp attack: the lock's name points at a file of ours; opening it must not touch that file."""
    directory = harness.lockfiles.private_dir(tmp_path / "locks")
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (directory / "device-A.lock").symlink_to(victim)
    with pytest.raises(harness.lockfiles.UnsafeLockDir, match="is a symlink; refusing to follow it"):
        claim_serial(["A"], directory)
    assert victim.read_text() == "precious\n"


def test_device_claims_default_to_the_private_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    claim = claim_serial(["127.0.0.1:5555"])
    try:
        lock = runtime / "wmpf-hil" / "device-127.0.0.1_5555.lock"
        assert lock.is_file() and stat.S_IMODE(lock.stat().st_mode) == 0o600
        assert stat.S_IMODE(lock.parent.stat().st_mode) == 0o700
    finally:
        claim.release()


def test_adb_key_lock_is_private_not_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    home = tmp_path / "home"
    with AdbServer(free_server_port(ADB_PORT + 40), home=home):
        assert (home / ".android" / "adbkey").is_file()
    assert not list((home / ".android").glob("*.lock"))
    assert [p.name.startswith("adbkey-") for p in (runtime / "wmpf-hil").iterdir()] == [True]


def test_adb_server_refuses_a_shared_lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = tmp_path / "run"
    (runtime / "wmpf-hil").mkdir(parents=True, mode=0o777)
    (runtime / "wmpf-hil").chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    server = AdbServer(free_server_port(ADB_PORT + 40), home=tmp_path / "home")
    with pytest.raises(AdbServerError, match=r"cannot prepare the adb key directory.*other users can enter it"):
        server.start()


# -- the device tcpdump command -------------------------------------------------------------------------------
def test_tcpdump_command_is_quoted_word_by_word(tmp_path: Path) -> None:
    # the profile schema refuses these already; the command must still be safe for a config built in code
    nasty = CaptureConfig.model_construct(mode="device", interface="any; id",
                                          filter=f"udp and $(touch {CANARY}) `id` 'x'")
    command = DeviceTcpdump(None, nasty, tmp_path / "x.pcap").command  # type: ignore[arg-type]
    assert command.endswith(" 2>/dev/null")
    assert shlex.split(command.removesuffix(" 2>/dev/null")) == [
        "su", "0", "tcpdump", "-i", "any; id", "-U", "-w", "-", f"udp and $(touch {CANARY}) `id` 'x'"]
    plain = DeviceTcpdump(None, CaptureConfig(mode="device", filter=""), tmp_path / "x.pcap")  # type: ignore[arg-type]
    assert plain.command == "su 0 tcpdump -i any -U -w - 2>/dev/null"


def test_tcpdump_filter_with_shell_syntax_runs_nothing_on_the_device(sim_device, adb_server, tmp_path: Path) -> None:
    with DeviceSession(sim_device.serial, adb_port=adb_server.port) as session:
        session.device.shell(f"rm -f {CANARY}")
        evil = CaptureConfig.model_construct(mode="device", filter=f"udp or $(touch {CANARY})", start_timeout_s=3)
        with pytest.raises(CaptureUnavailable):  # tcpdump itself rejects the filter: a syntax error
            DeviceTcpdump(session, evil, tmp_path / "evil.pcap").start()
        assert session.device.shell(f"ls {CANARY} 2>/dev/null; echo end").strip() == "end"
        # a filter of several words still reaches tcpdump as one expression
        good = DeviceTcpdump(session, CaptureConfig(mode="device", filter="udp and not port 53"), tmp_path / "g.pcap")
        good.start()
        good.stop()
        assert (tmp_path / "g.pcap").read_bytes()[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4")
