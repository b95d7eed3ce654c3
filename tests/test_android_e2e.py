"""The framework model and logcat through a real adb server: adbutils' app helpers and a streaming logcat."""

from __future__ import annotations

import io
import subprocess
import time

import adbutils
from PIL import Image

from harness.device.adb_server import AdbServer
from simulator import Simulator

HOST = "com.example.wmpfhost"


def test_adbutils_app_helpers(make_sim, adb_server: AdbServer) -> None:
    sim: Simulator = make_sim()
    d = adb_server.client().device(sim.devices[0].serial)
    assert d.window_size() == (1200, 1920)
    assert d.rotation() == 0
    assert d.is_screen_on()
    d.app_start("com.android.settings")
    current = d.app_current()
    assert (current.package, current.activity) == ("com.android.settings", "com.android.settings.Settings")
    info = d.app_info("com.tencent.wmpf")
    assert info is not None and (info.version_name, info.version_code) == ("2.2.0", 9020001)
    assert "com.tencent.wmpf" in d.list_packages()
    d.app_stop("com.android.settings")
    assert d.app_current().package == "com.android.launcher3"
    d.keyevent("POWER")
    assert not d.is_screen_on()
    d.keyevent("WAKEUP")
    image = d.screenshot()
    assert image.size == (1200, 1920)
    png = d.shell("screencap -p", encoding=None)
    assert Image.open(io.BytesIO(png)).size == (1200, 1920)


def test_adb_logcat_streams_new_entries(make_sim, adb_server: AdbServer) -> None:
    sim: Simulator = make_sim()
    serial = sim.devices[0].serial
    device = sim.device(0)
    dump = subprocess.run([adb_server.adb_path, "-s", serial, "logcat", "-d", "-v", "epoch"], env=adb_server.env,
                          capture_output=True, text=True, timeout=20, check=True)
    assert "Start proc" in dump.stdout and "--------- beginning of system" in dump.stdout
    proc = subprocess.Popen([adb_server.adb_path, "-s", serial, "logcat", "-v", "threadtime", "-s", "HilProbe"],
                            env=adb_server.env, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        sim.call(lambda: device.logcat.log("I", "HilProbe", "marker-1", pid=77))
        deadline = time.monotonic() + 10
        line = ""
        while time.monotonic() < deadline and "marker-1" not in line:
            line = proc.stdout.readline()
        assert line.endswith("   77    77 I HilProbe: marker-1\n")
    finally:
        proc.terminate()
        proc.wait(10)
    # the device-side logcat ends when the host closes the stream
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and sim.call(lambda: len(device.logcat._subscribers)):
        sim.call(lambda: device.logcat.log("V", "HilProbe", "tick", pid=77))
        time.sleep(0.2)
    assert sim.call(lambda: len(device.logcat._subscribers)) == 0


def test_uiautomator2_style_app_start(make_sim, adb_server: AdbServer) -> None:
    sim: Simulator = make_sim()
    d: adbutils.AdbDevice = adb_server.client().device(sim.devices[0].serial)
    out = d.shell(["monkey", "-p", HOST, "-c", "android.intent.category.LAUNCHER", "1"])
    assert "Events injected: 1" in out
    assert d.app_current().package == HOST
    pid = int(d.shell(f"pidof {HOST}").strip())
    d.shell(["am", "force-stop", HOST])
    assert d.shell(f"pidof {HOST}").strip() == ""
    out = d.shell(["am", "start", "-W", "-n", f"{HOST}/.MainActivity"])
    assert "LaunchState: COLD" in out
    assert int(d.shell(f"pidof {HOST}").strip()) > pid
