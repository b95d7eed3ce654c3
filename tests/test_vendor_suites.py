"""The scenario suite on devices that are not the simulator's default, through the external ``--serial`` path.

Each device is started as a lab would meet it: ``wmpf-hil sim --profile …`` on an adb server, then used only
through adb and the phone API. Per vendor: ``wmpf-hil doctor`` passes, and names the missing piece when the host
app is stopped or the listener pattern never appears; ``wmpf-hil doctor --learn`` watches one call placed by the
phone API, answered and hung up by uiautomator2 (standing in for the person), and drafts the app profile; the whole
scenario suite then runs with that draft: every scenario passes, reports its expected failure stage, or skips
naming the capability the device lacks; none errors. The default tablet runs the suite with its own profile.
One vendor also runs the suite with its calls placed from a simulated phone's WeChat through the vendor's caller
profile (``fixtures/callers/lumen-tab-user.toml``), checked by doctor first.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.callers.bot import PhoneInjector
from harness.callers.phone import Phone
from harness.conditions.catalog import CONDITIONS, SLOW
from harness.config.app_profile import APPS_DIR
from harness.device.session import DeviceSession
from tests.conftest import ADB_PORT, DEVICE_PORT

CLI = [sys.executable, "-m", "harness.cli"]
ROOT = Path(__file__).resolve().parent.parent
TIME_SCALE = "0.2"
# The simulated device declares its time scale (ro.wmpf_hil.time_scale): the --serial run labels its records
# simulated at TIME_SCALE and scales the field conditions' device-time durations to it, as on the embedded default.
CONDITIONS_ON_THIS_DEVICE = ["--conditions", ",".join(name for name in CONDITIONS if name not in SLOW)]
# (device profile, app profile, learn the patterns first)
VENDORS = [("lumen-tab-user", "lumen-tab-user", True), ("orbit-kiosk", "orbit-kiosk", True),
           ("wmpf-tablet", "wmpf-sim-tablet", False)]


@contextmanager
def simulated(device_profile: str, index: int, phones: int = 0) -> Iterator[dict]:
    """``wmpf-hil sim --profile`` on its own adb server: the device as a lab would attach to it (and ``phones``
    simulated phones running WeChat, their serials in ``info["phones"]``)."""
    adb_port = ADB_PORT + 700 + 10 * index
    proc = subprocess.Popen([*CLI, "sim", "--profile", str(ROOT / "fixtures" / "devices" / f"{device_profile}.toml"),
                             "--adb-port", str(adb_port), "--base-port", str(DEVICE_PORT + 2000 + 100 * index),
                             "--time-scale", TIME_SCALE, "--phones", str(phones)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(1 + phones)]
        assert all(lines), proc.stderr.read() if proc.stderr else "wmpf-hil sim printed nothing"
        info = json.loads(lines[0])
        info["adb_port"] = adb_port
        info["phones"] = [json.loads(line)["serial"] for line in lines[1:]]
        yield info
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def doctor(info: dict, profile: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "doctor", "--serial", info["serial"], "--adb-port", str(info["adb_port"]),
                           "--app-profile", str(profile), "--phone-url", info["phone"]],
                          capture_output=True, text=True, timeout=120)


def wait_until(predicate, timeout: float = 30.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def learn(info: dict, base: str, out: Path, auto_answer: bool) -> subprocess.CompletedProcess[str]:
    """``doctor --learn`` with the phone API placing the call and uiautomator2 answering and hanging up."""
    proc = subprocess.Popen([*CLI, "doctor", "--learn", "--serial", info["serial"], "--adb-port",
                             str(info["adb_port"]), "--app-profile", base, "-o", str(out), "--timeout", "60"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    lines: list[str] = []

    def next_prompt() -> None:
        while True:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, "doctor --learn ended before asking: " + "".join(lines)
            lines.append(line)
            if "Press Enter" in line:
                return

    def enter() -> None:
        proc.stdin.write("\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]

    phone = Phone(info["phone"])
    with DeviceSession(info["serial"], adb_port=info["adb_port"]) as session:
        next_prompt()  # WMPF and the host app restarted and settled: place the call
        placement = PhoneInjector(phone, info["sn"]).call(room_type="video", caller_name="Learner Bot")
        room = placement.room_id

        def state() -> str:
            return str(phone.call_state(room).get("state"))

        if auto_answer:
            wait_until(lambda: state() == "connected", what="the kiosk to answer by itself")
        else:
            answer = session.u2(resourceIdMatches=r".*:id/answer$")
            wait_until(lambda: answer.exists, what="the incoming screen")
        enter()
        next_prompt()
        if not auto_answer:
            session.u2(resourceIdMatches=r".*:id/answer$").click()
            wait_until(lambda: state() == "connected", what="the call to connect")
        enter()
        next_prompt()
        hang_up = session.u2(resourceId="com.tencent.wmpf:id/voip_hangup")
        wait_until(lambda: hang_up.exists, what="the hang-up button")
        hang_up.click()
        wait_until(lambda: state() == "ended", what="the call to end")
        enter()
    rest, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines) + rest, err)


def run_suite(info: dict, profile: str | Path, run_dir: Path, *caller: str) -> ET.Element:
    """The scenario suite through ``--serial``; the caller is the phone bot unless ``caller`` names another."""
    junit = run_dir / "junit.xml"
    proc = subprocess.run([sys.executable, "-m", "pytest", "scenarios", "-p", "no:cacheprovider", "-q", "-rs",
                           "--serial", info["serial"], "--adb-port", str(info["adb_port"]),
                           "--app-profile", str(profile), "--phone-url", info["phone"], "--run-dir", str(run_dir),
                           "--junitxml", str(junit), *CONDITIONS_ON_THIS_DEVICE, *caller], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert junit.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert (manifest["lab"], manifest["time_scale"]) == ("simulated", float(TIME_SCALE)), manifest
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    summary = proc.stdout[-4000:]
    assert suite.get("errors") == "0", summary
    assert suite.get("failures") == "0", summary
    for case in suite.iter("testcase"):
        skipped = case.find("skipped")
        if skipped is not None:
            reason = skipped.get("message", "")
            named = "capability" in reason or re.search(r"\bneeds \w+", reason)  # the harness's capability skips
            named = named or reason.startswith("no soak asked for")  # the soak runs only when asked for
            assert named, f"{case.get('name')} skipped without naming a capability: {reason}"
    return suite


@pytest.mark.parametrize(("device_profile", "app_profile", "learned"), VENDORS,
                         ids=[v[0] for v in VENDORS])
def test_the_suite_on_a_device_met_through_serial(tmp_path: Path, device_profile: str, app_profile: str,
                                                  learned: bool) -> None:
    with simulated(device_profile, VENDORS.index((device_profile, app_profile, learned))) as info:
        ok = doctor(info, app_profile)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "ready: a call can be placed" in ok.stdout
        profile: str | Path = app_profile
        if learned:
            base = load_base(app_profile)
            with DeviceSession(info["serial"], adb_port=info["adb_port"]) as session:
                session.device.shell(f"am force-stop {base['host']}")
            stopped = doctor(info, app_profile)
            assert stopped.returncode == 1 and "[MISS] host app" in stopped.stdout, stopped.stdout
            bad = tmp_path / "bad-listener.toml"
            bad.write_text(no_listener(APPS_DIR / f"{app_profile}.toml"), encoding="utf-8")
            draft = tmp_path / f"{app_profile}.learned.toml"
            learnt = learn(info, app_profile, draft, auto_answer=base["auto"])
            assert learnt.returncode == 0, learnt.stdout + learnt.stderr
            for name in ("push_received", "ring_shown", "voip_event", "wmpf_started", "listener_registered"):
                assert f"learned {name}" in learnt.stdout, learnt.stdout
            missing = doctor(info, bad)
            assert missing.returncode == 1 and "[MISS] push listener" in missing.stdout, missing.stdout
            again = doctor(info, draft)
            assert again.returncode == 0, again.stdout
            profile = draft
        suite = run_suite(info, profile, tmp_path / "run")
        assert int(suite.get("tests", "0")) - int(suite.get("skipped", "0")) >= 20


def test_a_vendor_suite_through_its_phone_app_caller(tmp_path: Path) -> None:
    """Lumen's tablet called from a phone running WeChat, driven through Lumen's caller profile: doctor checks the
    profile on the phone, then the suite passes with every call placed by a tap in the caller Mini Program."""
    with simulated("lumen-tab-user", len(VENDORS), phones=1) as info:
        caller = ("--caller-serial", info["phones"][0], "--caller-profile", "lumen-tab-user")
        ok = subprocess.run([*CLI, "doctor", "--serial", info["serial"], "--adb-port", str(info["adb_port"]),
                             "--app-profile", "lumen-tab-user", *caller], capture_output=True, text=True, timeout=120)
        assert ok.returncode == 0 and "[ok  ] caller selectors" in ok.stdout, ok.stdout + ok.stderr
        suite = run_suite(info, "lumen-tab-user", tmp_path / "run", *caller)
        assert int(suite.get("tests", "0")) - int(suite.get("skipped", "0")) >= 20
    records = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    callers = {r["extra"].get("caller") for r in records if "outcome" in r}
    assert "phone app" in callers, callers


def load_base(app_profile: str) -> dict:
    from harness.config.app_profile import load_profile

    p = load_profile(app_profile)
    return {"host": p.host_package, "auto": p.answer == "auto"}


def no_listener(path: Path) -> str:
    """The profile with a listener pattern the app never logs (an app that changed its log line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [("listener_registered = { tag = \"WMPFCli.Device\", regex = '^registerListenerV3: ok' }"
            if ln.startswith("listener_registered") else ln) for ln in lines]
    return "\n".join(out) + "\n"
