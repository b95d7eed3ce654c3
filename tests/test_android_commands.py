"""Framework shell commands through the device shell: am, pm, monkey, input, dumpsys, settings, wm, screencap,
and logcat as adb runs it."""

from __future__ import annotations

import asyncio
import io
import re
import struct
from collections.abc import Awaitable, Callable

from PIL import Image

from simulator.device import SimDevice
from simulator.profile import load_profile
from simulator.streams import BufferWriter, EmptyReader

Sh = Callable[[str], Awaitable[tuple[int, str, str]]]


def on_device(fn: Callable[[SimDevice, Sh], Awaitable[None]]) -> None:
    async def main() -> None:
        device = SimDevice(load_profile())
        device.boot()

        async def sh(script: str) -> tuple[int, str, str]:
            out, err = BufferWriter(), BufferWriter()
            status = await device.shell.run(script, EmptyReader(), out, err)
            return status, out.data.decode(errors="replace"), err.data.decode(errors="replace")

        await fn(device, sh)

    asyncio.run(main())


def test_logcat_as_adb_runs_it() -> None:
    async def body(device: SimDevice, sh: Sh) -> None:
        device.logcat.log("I", "WMPFCli", "hello", pid=42)
        status, out, _ = await sh("""export ANDROID_LOG_TAGS="''"; exec logcat -d -v epoch -s WMPFCli""")
        assert status == 0
        assert re.fullmatch(r"--------- beginning of main\n {9}\d{10}\.\d{3} {4}42 {4}42 I WMPFCli : hello\n", out)
        status, out, _ = await sh("ANDROID_LOG_TAGS=''; exec logcat -d -b system -v tag | grep -c ActivityManager")
        assert status == 0 and int(out) >= 3

    on_device(body)


def test_am_start_force_stop_and_dumps() -> None:
    async def body(device: SimDevice, sh: Sh) -> None:
        status, out, err = await sh("am start -W -n com.android.settings/.Settings")
        assert status == 0 and err == ""
        assert out.startswith("Starting: Intent { cmp=com.android.settings/.Settings }\nStatus: ok\n"
                              "LaunchState: COLD\nActivity: com.android.settings/.Settings\nTotalTime: ")
        _, out, _ = await sh("dumpsys window windows | grep mCurrentFocus")
        assert re.fullmatch(r"  mCurrentFocus=Window\{[0-9a-f]{7} u0 com.android.settings/"
                            r"com.android.settings.Settings\}\n", out)
        _, out, _ = await sh("dumpsys activity activities")
        assert re.search(r"mResumedActivity: ActivityRecord\{[0-9a-f]+ u0 com.android.settings/.Settings t\d+\}", out)
        pid = device.android.process_of("com.android.settings").pid
        _, out, _ = await sh("dumpsys activity top")
        assert re.findall(r"ACTIVITY (\S+)/(\S+) \w+ pid=(\d+)", out)[-1] == (
            "com.android.settings", ".Settings", str(pid))
        _, out, err = await sh("am start -n com.android.settings/.Settings")
        assert "delivered to currently running top-most instance" in err
        assert await sh("am force-stop com.android.settings") == (0, "", "")
        assert device.android.process_of("com.android.settings") is None
        status, out, err = await sh("am start -n com.android.settings/.Nope")
        assert err == ("Error type 3\n"
                       "Error: Activity class {com.android.settings/com.android.settings.Nope} does not exist.\n")
        status, _, err = await sh("am start --bogus")
        assert status == 255 and err == "Error: Unknown option: --bogus\n"

    on_device(body)


def test_am_broadcast_with_extras() -> None:
    async def body(device: SimDevice, sh: Sh) -> None:
        got = []
        device.android.register_receiver("com.tencent.wmpf", "com.x.PUSH", got.append)
        status, out, _ = await sh("am broadcast -a com.x.PUSH -p com.tencent.wmpf --es msg 'hi there' --ei n 3 "
                                  "--ez ok true --esa list a,b\\\\,c")
        assert status == 0
        assert out == ("Broadcasting: Intent { act=com.x.PUSH flg=0x400000 pkg=com.tencent.wmpf (has extras) }\n"
                       "Broadcast completed: result=0\n")
        assert got[0].extras == {"msg": "hi there", "n": 3, "ok": True, "list": ["a", "b,c"]}

    on_device(body)


def test_monkey_and_pm() -> None:
    async def body(device: SimDevice, sh: Sh) -> None:
        status, out, _ = await sh("monkey -p com.android.settings -c android.intent.category.LAUNCHER 1")
        assert status == 0 and "  bash arg: -p\n" in out and "Events injected: 1\n" in out
        assert device.android.top_activity() == "com.android.settings/.Settings"
        status, _, err = await sh("monkey -p com.tencent.wmpf -c android.intent.category.LAUNCHER 1")
        assert status == 252 and err == "** No activities found to run, monkey aborted.\n"
        _, out, _ = await sh("pm list packages")
        assert out.splitlines() == ["package:com.android.launcher3", "package:com.android.settings",
                                    "package:com.example.wmpfhost", "package:com.tencent.wmpf"]
        _, out, _ = await sh("pm list packages -3 -f wmpf")
        assert out == ("package:/data/app/com.example.wmpfhost-1/base.apk=com.example.wmpfhost\n"
                       "package:/data/app/com.tencent.wmpf-1/base.apk=com.tencent.wmpf\n")
        assert await sh("pm path com.tencent.wmpf") == (0, "package:/data/app/com.tencent.wmpf-1/base.apk\n", "")
        assert (await sh("pm path com.nope"))[0] == 1
        assert await sh("pm clear com.tencent.wmpf") == (0, "Success\n", "")
        _, out, _ = await sh("dumpsys package com.tencent.wmpf | grep -E 'version(Name|Code)'")
        assert out == "    versionCode=9020001 minSdk=25 targetSdk=30\n    versionName=2.2.0\n"
        _, out, _ = await sh("pm dump com.tencent.wmpf")
        assert "stopped=true" in out and re.search(r"PackageSignatures\{.*?\[(.*)\]\}", out)

    on_device(body)


def test_input_keys_and_power() -> None:
    async def body(device: SimDevice, sh: Sh) -> None:
        icon = next(n for n in device.android.screen.tree().walk() if n.text == "Settings")
        assert await sh(f"input tap {icon.center[0]} {icon.center[1]}") == (0, "", "")
        assert device.android.top_activity() == "com.android.settings/.Settings"
        await sh("input keyevent KEYCODE_HOME")
        assert device.android.top_activity() == "com.android.launcher3/.Launcher"
        await sh("input keyevent 26")
        _, out, _ = await sh("dumpsys power")
        assert "mWakefulness=Asleep" in out and "mHoldingDisplaySuspendBlocker=false" in out
        assert "Display Power: state=OFF" in out
        await sh("input keyevent WAKEUP")
        _, out, _ = await sh("dumpsys power | grep -E 'mWakefulness=|Display Power'")
        assert out == "  mWakefulness=Awake\nDisplay Power: state=ON\n"
        taken = []
        device.android.screen.top().on_text = taken.append
        await sh("input text hello%sworld")
        assert taken == ["hello world"]

    on_device(body)


def test_settings_and_wm() -> None:
    async def body(device: SimDevice, sh: Sh) -> None:
        assert await sh("settings get global adb_enabled") == (0, "1\n", "")
        assert await sh("settings get system nope") == (0, "null\n", "")
        await sh("settings put system screen_off_timeout 86400000")
        assert await sh("settings get system screen_off_timeout") == (0, "86400000\n", "")
        assert await sh("settings delete system screen_off_timeout") == (0, "Deleted 1 rows\n", "")
        assert (await sh("settings get bogus x"))[0] == 255
        assert await sh("wm size") == (0, "Physical size: 1200x1920\n", "")
        await sh("wm size 600x960")
        assert await sh("wm size") == (0, "Physical size: 1200x1920\nOverride size: 600x960\n", "")
        _, out, _ = await sh("dumpsys window displays")
        assert "init=1200x1920 240dpi base=600x960 240dpi cur=600x960" in out
        await sh("wm size reset")
        assert device.android.screen.width == 1200
        assert await sh("wm density") == (0, "Physical density: 240\n", "")
        _, out, _ = await sh("dumpsys display")
        assert re.search(r".*?orientation=(?P<orientation>\d+)", out).group("orientation") == "0"

    on_device(body)


def test_screencap_png_and_raw() -> None:
    async def body(device: SimDevice, sh: Sh) -> None:
        out = BufferWriter()
        assert await device.shell.run("screencap -p", EmptyReader(), out, BufferWriter()) == 0
        image = Image.open(io.BytesIO(bytes(out.data)))
        assert image.size == (1200, 1920) and image.getpixel((5, 5)) != (0, 0, 0)
        raw = BufferWriter()
        await device.shell.run("screencap", EmptyReader(), raw, BufferWriter())
        assert struct.unpack("<4I", bytes(raw.data[:16])) == (1200, 1920, 1, 1)
        assert len(raw.data) == 16 + 1200 * 1920 * 4
        assert await sh("screencap -p /sdcard/s.png && ls /sdcard/s.png") == (0, "/sdcard/s.png\n", "")
        device.android.set_screen_power(False)
        out = BufferWriter()
        await device.shell.run("screencap -p", EmptyReader(), out, BufferWriter())
        assert Image.open(io.BytesIO(bytes(out.data))).getextrema() == ((0, 0), (0, 0), (0, 0))

    on_device(body)
