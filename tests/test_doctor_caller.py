"""``wmpf-hil doctor`` on the caller's side, and ``wmpf-hil lab check --doctor``, against a lab as a lab meets it.

``wmpf-hil sim --devices 1 --phones 1 --profile VENDOR`` on its own adb server stands in for a vendor's device
and a phone running WeChat. The doctor, given the phone and the vendor's caller profile (fixtures/callers/, same
file name as the device and app profiles), opens the caller Mini Program, finds the device and the call buttons
and exits 0; with a copy of the profile whose Voice selector matches nothing it exits 1, naming the key, the
selector and what the phone shows. ``lab check --doctor`` runs the same checklist for a lab file naming that
device and phone: 0 when right, 3 with a wrong app profile or the host app stopped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import adbutils
import pytest

from harness.config.app_profile import load_profile
from harness.config.caller_profile import CALLERS_DIR
from harness.device.session import DeviceSession
from tests.conftest import ADB_PORT, DEVICE_PORT

CLI = [sys.executable, "-m", "harness.cli"]
ROOT = Path(__file__).resolve().parent.parent
VENDORS = ["lumen-tab-user", "orbit-kiosk"]


@pytest.fixture(scope="module", params=VENDORS)
def vendor_lab(request: pytest.FixtureRequest) -> Iterator[dict]:
    """The vendor's device and one simulated phone, on an adb server of their own."""
    index = VENDORS.index(request.param)
    adb_port = ADB_PORT + 760 + 10 * index
    proc = subprocess.Popen([*CLI, "sim", "--devices", "1", "--phones", "1", "--profile",
                             str(ROOT / "fixtures" / "devices" / f"{request.param}.toml"), "--adb-port", str(adb_port),
                             "--base-port", str(DEVICE_PORT + 2600 + 100 * index), "--time-scale", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert all(lines), proc.stderr.read() if proc.stderr else "wmpf-hil sim printed nothing"
        info = {json.loads(line)["role"]: json.loads(line) for line in lines}
        yield {"vendor": request.param, "adb_port": adb_port, "device": info["device"], "phone": info["phone"]}
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        # wmpf-hil sim leaves the adb server it started running (as a lab's would be): stop it
        subprocess.run([adbutils.adb_path(), "-P", str(adb_port), "kill-server"], capture_output=True, timeout=30)


def doctor(lab: dict, caller_profile: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "doctor", "--serial", lab["device"]["serial"], "--adb-port", str(lab["adb_port"]),
                           "--app-profile", lab["vendor"], "--caller-serial", lab["phone"]["serial"],
                           "--caller-profile", str(caller_profile)], capture_output=True, text=True, timeout=120)


def test_doctor_finds_the_vendor_caller_profile_on_the_phone(vendor_lab: dict) -> None:
    ok = doctor(vendor_lab, vendor_lab["vendor"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "[ok  ] caller app: com.tencent.mm" in ok.stdout
    selectors = next(line for line in ok.stdout.splitlines() if "caller selectors" in line)
    assert selectors.startswith("[ok  ]") and "ui.voice, ui.video" in selectors, selectors
    assert f"{vendor_lab['vendor']}.toml" in selectors and vendor_lab["device"]["sn"] in selectors, selectors
    assert "ready: a call can be placed" in ok.stdout


def test_doctor_names_the_caller_selector_that_matches_nothing(vendor_lab: dict, tmp_path: Path) -> None:
    text = (CALLERS_DIR / f"{vendor_lab['vendor']}.toml").read_text(encoding="utf-8")
    lines = [('voice = { resourceId = "com.tencent.mm:id/mp_voice_call_v2" }' if ln.startswith("voice =") else ln)
             for ln in text.splitlines()]
    broken = tmp_path / "broken-caller.toml"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    miss = doctor(vendor_lab, broken)
    assert miss.returncode == 1, miss.stdout + miss.stderr
    line = next(ln for ln in miss.stdout.splitlines() if "caller selectors" in ln and "MISS" in ln)
    assert "key 'ui.voice'" in line and "mp_voice_call_v2" in line, line
    assert "the phone shows: com.tencent.mm:" in line and "'Voice call'" in line, line  # what is there instead
    assert "not ready for a call: caller selectors" in miss.stdout


def test_doctor_refuses_a_caller_profile_without_its_phone(vendor_lab: dict) -> None:
    proc = subprocess.run([*CLI, "doctor", "--serial", vendor_lab["device"]["serial"], "--adb-port",
                           str(vendor_lab["adb_port"]), "--app-profile", vendor_lab["vendor"], "--caller-profile",
                           vendor_lab["vendor"]], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--caller-profile needs --caller-serial" in proc.stderr, proc.stderr


def lab_file(tmp_path: Path, lab: dict, app_profile: str) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text(f"""[lab]
name = "desk"
app_profile = "{app_profile}"

[[hosts]]
name = "desk-host"
phone_url = "{lab['device']['phone']}"

[[hosts.devices]]
serial = "{lab['device']['serial']}"
model = "{lab['device']['model']}"

[[hosts.phones]]
serial = "{lab['phone']['serial']}"
caller_profile = "{lab['vendor']}"
""", encoding="utf-8")
    return path


def lab_check(path: Path, lab: dict) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "lab", "check", str(path), "--doctor", "--adb-port", str(lab["adb_port"])],
                          capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("vendor_lab", VENDORS[:1], indirect=True)  # one vendor is enough for the lab file path
def test_lab_check_doctor_runs_the_doctor_on_the_device_and_its_phone(vendor_lab: dict, tmp_path: Path) -> None:
    good = lab_check(lab_file(tmp_path, vendor_lab, vendor_lab["vendor"]), vendor_lab)
    assert good.returncode == 0, good.stdout + good.stderr
    assert f"doctor desk-host {vendor_lab['device']['serial']}: ok" in good.stdout
    assert "[ok  ] caller selectors" in good.stdout and "[ok  ] push listener" in good.stdout, good.stdout

    wrong = lab_check(lab_file(tmp_path, vendor_lab, "orbit-kiosk"), vendor_lab)  # another vendor's app profile
    assert wrong.returncode == 3, wrong.stdout + wrong.stderr
    assert "BROKEN" in wrong.stdout and "[MISS] host app: com.orbit" in wrong.stdout, wrong.stdout

    app = load_profile(vendor_lab["vendor"])
    with DeviceSession(vendor_lab["device"]["serial"], adb_port=vendor_lab["adb_port"]) as session:
        session.device.shell(f"am force-stop {app.host_package}")
        try:
            stopped = lab_check(lab_file(tmp_path, vendor_lab, vendor_lab["vendor"]), vendor_lab)
        finally:
            session.device.shell(f"am start -n {app.host_component}")
    assert stopped.returncode == 3, stopped.stdout + stopped.stderr
    assert "[MISS] host app" in stopped.stdout and "installed but not running" in stopped.stdout, stopped.stdout
