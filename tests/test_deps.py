"""`make deps` (scripts/deps.sh): nothing to do when every package is there; otherwise apt-get installs what is
missing when it can, or the missing packages and the exact commands are printed and make stops.

A stand-in ``apt-get`` (first on PATH) records how it is called and "installs" by creating what each package
provides, so the install path is exercised without touching the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "deps.sh"
ALL = ["adb", "tshark", "tcpdump", "chromium", "fonts-wqy-microhei", "python3-venv"]

FAKE_APT = """#!/bin/sh
echo "apt-get DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> "$LOG"
[ "$1" = install ] || exit 0
for pkg in "$@"; do
    case "$pkg" in
        adb) mkdir -p "$FAKEROOT/usr/bin" && touch "$FAKEROOT/usr/bin/adb" && chmod +x "$FAKEROOT/usr/bin/adb" ;;
        fonts-wqy-microhei) mkdir -p "$FAKEROOT/usr/share/fonts/truetype/wqy" &&
            touch "$FAKEROOT/usr/share/fonts/truetype/wqy/wqy-microhei.ttc" ;;
        tshark|tcpdump|chromium) printf '#!/bin/sh\\n' > "$BIN/$pkg" && chmod +x "$BIN/$pkg" ;;
    esac
done
"""
FAKE_DEBCONF = """#!/bin/sh
echo "debconf-set-selections $(cat)" >> "$LOG"
"""
FAKE_SUDO = """#!/bin/sh
[ "$1" = -n ] && [ "$2" = true ] && exit 0
exec "$@"
"""


def bare_machine(tmp_path: Path, *, apt: bool) -> tuple[dict[str, str], Path, Path]:
    """A PATH with only the basics (and, with ``apt``, stand-ins for apt-get, debconf and sudo), an empty root."""
    bin_dir, fake_root, log = tmp_path / "bin", tmp_path / "root", tmp_path / "apt.log"
    bin_dir.mkdir()
    fake_root.mkdir()
    for tool in ("bash", "sh", "env", "id", "cat", "mkdir", "touch", "chmod", "printf"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    if apt:
        for name, text in (("apt-get", FAKE_APT), ("debconf-set-selections", FAKE_DEBCONF), ("sudo", FAKE_SUDO)):
            (bin_dir / name).write_text(text)
            (bin_dir / name).chmod(0o755)
    env = {"PATH": str(bin_dir), "PYTHON": sys.executable, "WMPF_HIL_DEPS_ROOT": str(fake_root),
           "LOG": str(log), "FAKEROOT": str(fake_root), "BIN": str(bin_dir), "HOME": str(tmp_path)}
    return env, bin_dir, log


def run_deps(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_a_machine_with_everything_does_nothing(tmp_path: Path) -> None:
    """This machine has the packages (the suite needs them): no apt-get, one line, status 0."""
    _, bin_dir, log = bare_machine(tmp_path, apt=True)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(log), "PYTHON": sys.executable}
    env.pop("WMPF_HIL_DEPS_ROOT", None)
    proc = run_deps(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == f"deps: {' '.join(ALL)} present\n"
    assert not log.exists(), log.read_text()


def test_without_a_way_to_install_it_lists_what_is_missing_and_the_commands(tmp_path: Path) -> None:
    env, _, log = bare_machine(tmp_path, apt=True)
    proc = run_deps({**env, "WMPF_HIL_DEPS_INSTALL": "never"})
    assert proc.returncode == 1
    missing = "adb tshark tcpdump chromium fonts-wqy-microhei"  # python3-venv: this interpreter has venv
    for pkg in missing.split():
        assert f"\n  {pkg} " in proc.stderr, proc.stderr
    assert "python3-venv" not in proc.stderr
    sudo = "" if os.getuid() == 0 else "sudo "
    assert (f"  echo 'wireshark-common wireshark-common/install-setuid boolean false' | {sudo}debconf-set-selections\n"
            f"  {sudo}apt-get update\n"
            f"  {sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y {missing}\n"
            "then run make again.\n") in proc.stderr
    assert not log.exists()


def test_no_apt_get_is_the_same_stop(tmp_path: Path) -> None:
    env, _, _ = bare_machine(tmp_path, apt=False)
    proc = run_deps(env)
    assert proc.returncode == 1 and "deps: missing Debian packages:" in proc.stderr
    assert "apt-get install -y adb tshark tcpdump chromium fonts-wqy-microhei" in proc.stderr


def test_with_apt_it_preseeds_updates_once_and_installs_noninteractively(tmp_path: Path) -> None:
    env, _, log = bare_machine(tmp_path, apt=True)
    proc = run_deps(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["deps: installing adb tshark tcpdump chromium fonts-wqy-microhei",
                                        f"deps: {' '.join(ALL)} present"]
    assert log.read_text().splitlines() == [
        "debconf-set-selections wireshark-common wireshark-common/install-setuid boolean false",
        "apt-get DEBIAN_FRONTEND=noninteractive update -qq",
        "apt-get DEBIAN_FRONTEND=noninteractive install -y -qq adb tshark tcpdump chromium fonts-wqy-microhei"]
    assert run_deps(env).stdout == f"deps: {' '.join(ALL)} present\n"  # the second time: nothing to do


def test_a_package_apt_did_not_provide_is_an_error(tmp_path: Path) -> None:
    env, bin_dir, _ = bare_machine(tmp_path, apt=True)
    (bin_dir / "apt-get").write_text('#!/bin/sh\necho "apt-get $*" >> "$LOG"\n')  # installs nothing
    proc = run_deps(env)
    assert proc.returncode == 1
    assert "but adb tshark tcpdump chromium fonts-wqy-microhei still not found" in proc.stderr
