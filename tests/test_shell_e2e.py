"""The device shell through the real adb server and adbutils (v1 ``; echo X4EXIT:$?`` and shell v2)."""

from __future__ import annotations

import hashlib

import adbutils
import pytest

TMP = "/data/local/tmp"


@pytest.mark.parametrize("v2", [False, True], ids=["v1", "v2"])
def test_exit_codes_and_messages(sim_device: adbutils.AdbDevice, v2: bool) -> None:
    missing = sim_device.shell2("definitely_not_a_command", v2=v2)
    assert missing.returncode == 127
    assert "sh: definitely_not_a_command: not found" in missing.output
    failing = sim_device.shell2("ls /nope; sh -c 'exit 3'", v2=v2)
    assert failing.returncode == 3
    assert "ls: /nope: No such file or directory" in failing.output


def test_pipes_quoting_and_substitution(sim_device: adbutils.AdbDevice) -> None:
    assert sim_device.shell("echo 'a  b' \"$((6*7))\" | wc -w") == "3"
    assert sim_device.shell("X=1 sh -c 'echo $X'; echo [$X]") == "1\n[]"
    canary = f"{TMP}/e2e_canary"
    sim_device.shell(f"rm -f {canary}")
    sim_device.shell(["echo", f"$(touch {canary})"])  # adbutils quotes list arguments
    assert sim_device.shell(f"ls {canary}").endswith("No such file or directory")
    sim_device.shell(f"echo $(touch {canary})")
    assert sim_device.shell(f"ls {canary}; rm {canary}") == canary


def test_uiautomator2_style_md5_probe(sim_device: adbutils.AdbDevice) -> None:
    sim_device.shell(f"echo jar > {TMP}/e2e.jar")
    out = sim_device.shell(f"toybox md5sum {TMP}/e2e.jar")
    digest = hashlib.md5(b"jar\n").hexdigest()
    assert out == f"{digest}  {TMP}/e2e.jar"
    sim_device.shell(f"rm {TMP}/e2e.jar")


def test_ps_and_getprop_over_adb(sim_device: adbutils.AdbDevice) -> None:
    ps = sim_device.shell("ps -A").splitlines()
    assert ps[0].split() == ["USER", "PID", "PPID", "VSZ", "RSS", "WCHAN", "ADDR", "S", "NAME"]
    assert any(line.endswith(" system_server") for line in ps)
    assert sim_device.shell("getprop ro.serialno").startswith("WMPFSIM")
