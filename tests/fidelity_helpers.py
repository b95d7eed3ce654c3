"""Shared by the fidelity suite (tests/test_fidelity_*.py): one adb server of one version with its own
simulated device, driven through the real adb command line, and the test APKs.

Each fidelity test runs against Debian's adb 29 and the bundled adb 36, because they differ in what they
send (streamed install through ``exec:cmd`` vs ``abb_exec``, ``adb remount`` through ``remount:`` or ``adb
shell remount``, reconnect intervals after ``adb root``).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import simulator
from harness.device.adb_server import AdbServer
from simulator.android.apk import Instrumentation, build_apk, manifest_element

U2_APK = Path(str(resources.files("uiautomator2") / "assets" / "app-uiautomator.apk"))
USER_PROFILE = Path(__file__).resolve().parent.parent / "fixtures" / "devices" / "wmpf-tablet-user.toml"


@dataclass
class Cli:
    """One adb server (of one version) with its own simulated device, driven through the adb command line."""

    name: str
    server: AdbServer
    sim: simulator.Simulator

    @property
    def serial(self) -> str:
        return self.sim.devices[0].serial

    def adb(self, *args: str, timeout: float = 60, input: bytes | None = None) -> subprocess.CompletedProcess:
        return self.server.adb("-s", self.serial, *args, timeout=timeout, input=input, text=input is None)

    def shell(self, command: str) -> str:
        result = self.adb("shell", command)
        return result.stdout

    def state(self) -> str:
        for line in self.server.adb("devices").stdout.splitlines()[1:]:
            serial, _, state = line.partition("\t")
            if serial == self.serial:
                return state.strip()
        return "absent"

    def wait_state(self, wanted: set[str], timeout: float) -> str:
        """The device's state once it is one of ``wanted`` (or whatever it is when ``timeout`` runs out)."""
        deadline = time.monotonic() + timeout
        state = self.state()
        while state not in wanted and time.monotonic() < deadline:
            time.sleep(0.1)
            state = self.state()
        return state

    def wait_device(self, timeout: float = 30) -> None:
        """Wait until the server lists the device online again (after a root/unroot/reboot)."""
        state = self.wait_state({"device"}, timeout)
        if state != "device":
            raise AssertionError(f"{self.serial} did not come back within {timeout} s ({state})")


def make_apk(tmp_path: Path, package: str = "com.example.fidelity", version_code: int = 3,
             version_name: str = "1.3", *, with_instrumentation: bool = True, signed: bool = True,
             name: str = "fidelity.apk") -> Path:
    """An APK file with a binary manifest (and an instrumentation targeting itself)."""
    inst = (Instrumentation(f"{package}.test.Runner", package),) if with_instrumentation else ()
    data = build_apk(manifest_element(package, version_code, version_name, launcher_activity=".MainActivity",
                                      instrumentations=inst), signed=signed)
    path = tmp_path / name
    path.write_bytes(data)
    return path
