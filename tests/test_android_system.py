"""The framework model: processes of apps, activities, broadcasts, keys, power, reboot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from simulator.android.intent import Intent
from simulator.android.system import UnknownPackageError
from simulator.android.ui import UiNode, Window
from simulator.device import SimDevice
from simulator.logcat_format import format_entry
from simulator.processes import Process
from simulator.profile import load_profile

HOST = "com.example.wmpfhost"


class HostApp:
    label = "WMPF Host"
    activities = (".MainActivity", ".IncomingCallActivity")

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.system: Any = None

    def on_process_start(self, proc: Process) -> None:
        self.events.append(("start", proc.pid))
        self.system.register_receiver(HOST, "com.example.PING", lambda i: self.events.append(("ping", i.extras)))

    def on_process_death(self, proc: Process, status: int) -> None:
        self.events.append(("death", status))

    def on_activity_start(self, intent: Intent) -> None:
        self.events.append(("activity", intent.component))
        self.system.screen.show(Window(HOST, intent.component or "", build=_tree))

    def on_broadcast(self, intent: Intent) -> None:
        self.events.append(("broadcast", intent.action))


def _tree(width: int, height: int) -> UiNode:
    return UiNode(package=HOST, bounds=(0, 0, width, height))


def in_loop(fn: Callable[[SimDevice], None], app: HostApp | None = None) -> None:
    async def main() -> None:
        device = SimDevice(load_profile())
        if app is not None:
            app.system = device.android
            device.android.attach_app(HOST, app)
        device.boot()
        fn(device)

    asyncio.run(main())


def logged(device: SimDevice, tag: str) -> list[str]:
    return [e.message for e in device.logcat.entries() if e.tag == tag]


def test_boot_starts_persistent_apps_and_shows_the_launcher() -> None:
    app = HostApp()

    def check(device: SimDevice) -> None:
        system = device.android
        proc = system.process_of(HOST)
        assert proc is not None and proc.uid == 10090 and proc.name == HOST
        assert app.events[0] == ("start", proc.pid)
        assert system.process_of("com.tencent.wmpf") is not None
        assert system.process_of("com.android.settings") is None
        assert system.top_activity() == "com.android.launcher3/.Launcher"
        texts = [n.text for n in system.screen.tree().walk() if n.clickable]
        assert texts == ["WMPF Host", "Settings"]
        starts = logged(device, "ActivityManager")
        assert f"Start proc {proc.pid}:{HOST}/u0a90 for added application {HOST}" in starts
        entry = next(e for e in device.logcat.entries() if e.tag == "ActivityManager")
        assert entry.buffer == "system" and format_entry(entry, "tag").startswith("I/ActivityManager: Start")

    in_loop(check, app)


def test_start_activity_and_force_stop() -> None:
    app = HostApp()

    def check(device: SimDevice) -> None:
        system = device.android
        pid = system.process_of(HOST).pid
        assert system.start_activity(Intent(component=f"{HOST}/.IncomingCallActivity")) is None
        assert system.top_activity() == f"{HOST}/.IncomingCallActivity"
        assert ("activity", f"{HOST}/.IncomingCallActivity") in app.events
        assert any(m.startswith(f"START u0 {{flg=0x10000000 cmp={HOST}/.IncomingCallActivity}} from uid 2000")
                   for m in logged(device, "ActivityTaskManager"))
        system.force_stop(HOST, caller_pid=4242)
        assert system.process_of(HOST) is None
        assert ("death", 137) in app.events
        assert system.top_activity() == "com.android.launcher3/.Launcher"
        assert not [r for r in system.receivers if r.package == HOST]
        am = logged(device, "ActivityManager")
        assert f"Force stopping {HOST} appid=10090 user=0: from pid 4242" in am
        assert not any("has died" in m for m in am)
        # a relaunch gets a new pid through a cold start
        assert system.start_activity(Intent(component=f"{HOST}/.MainActivity")) is None
        assert system.process_of(HOST).pid > pid

    in_loop(check, app)


def test_activity_errors_read_like_am() -> None:
    def check(device: SimDevice) -> None:
        system = device.android
        assert system.start_activity(Intent(component="com.nope/.Main")) == \
            "Error: Activity class {com.nope/com.nope.Main} does not exist."
        assert system.start_activity(Intent(component="com.android.settings/.Hidden")) == \
            "Error: Activity class {com.android.settings/com.android.settings.Hidden} does not exist."
        assert system.start_activity(Intent(action="android.intent.action.VIEW", data="https://x")) == (
            "Error: Activity not started, unable to resolve Intent { act=android.intent.action.VIEW "
            "dat=https://x flg=0x10000000 }")

    in_loop(check)


def test_unmodelled_activity_gets_a_plain_window() -> None:
    def check(device: SimDevice) -> None:
        system = device.android
        assert system.launch_package("com.android.settings").error is None
        assert system.top_activity() == "com.android.settings/.Settings"
        assert [n.text for n in system.screen.tree().walk() if n.text] == ["Settings"]
        pid = system.process_of("com.android.settings").pid
        device.processes.signal(pid, 9)
        assert f"Process com.android.settings (pid {pid}) has died: fg  TOP" in logged(device, "ActivityManager")
        assert system.top_activity() == "com.android.launcher3/.Launcher"

    in_loop(check)


def test_broadcasts_reach_receivers_and_explicit_targets() -> None:
    app = HostApp()

    def check(device: SimDevice) -> None:
        system = device.android
        assert system.send_broadcast(Intent(action="com.example.PING", extras={"n": 1})) == 1
        assert ("ping", {"n": 1}) in app.events
        assert system.send_broadcast(Intent(action="com.example.OTHER", package=HOST)) == 1
        assert ("broadcast", "com.example.OTHER") in app.events
        system.force_stop(HOST)
        assert system.send_broadcast(Intent(action="com.example.OTHER", package=HOST)) == 0  # stopped
        assert system.send_broadcast(Intent(action="com.example.PING")) == 0

    in_loop(check, app)


def test_keys_and_power() -> None:
    def check(device: SimDevice) -> None:
        system = device.android
        system.launch_package("com.android.settings")
        assert system.press_key(4)  # BACK finishes the plain activity
        assert system.top_activity() == "com.android.launcher3/.Launcher"
        system.launch_package("com.android.settings")
        assert system.press_key(3)  # HOME
        assert system.top_activity() == "com.android.launcher3/.Launcher"
        assert system.press_key(26) and not system.screen.on
        assert not system.press_key(3)  # ignored while asleep
        assert system.press_key(224) and system.screen.on
        assert any(m.startswith("Going to sleep due to power_button") for m in logged(device, "PowerManagerService"))
        system.force_stop("com.android.settings")
        system.force_stop("com.android.launcher3")  # never an empty display: home comes back
        assert system.top_activity() == "com.android.launcher3/.Launcher"
        assert system.process_of("com.android.launcher3") is not None

    in_loop(check)


def test_launcher_icon_click_starts_the_app() -> None:
    app = HostApp()

    def check(device: SimDevice) -> None:
        system = device.android
        icon = next(n for n in system.screen.tree().walk() if n.text == "WMPF Host")
        assert system.screen.tap(*icon.center)
        assert system.top_activity() == f"{HOST}/.MainActivity"

    in_loop(check, app)


def test_app_crash_kills_its_process() -> None:
    app = HostApp()

    def boom(intent: Intent) -> None:
        raise RuntimeError("kaboom")

    def check(device: SimDevice) -> None:
        system = device.android
        app.on_activity_start = boom  # type: ignore[method-assign]
        pid = system.process_of(HOST).pid
        assert system.start_activity(Intent(component=f"{HOST}/.MainActivity")) is None
        assert system.process_of(HOST) is None and system.crashes[0][0] == HOST
        crash = next(e for e in device.logcat.entries() if e.tag == "AndroidRuntime")
        assert crash.buffer == "crash" and crash.pid == pid
        assert crash.message.startswith(f"FATAL EXCEPTION: main\nProcess: {HOST}, PID: {pid}\nRuntimeError: kaboom")

    in_loop(check, app)


def test_reboot_keeps_attached_apps_and_tells_them() -> None:
    app = HostApp()

    def check(device: SimDevice) -> None:
        system = device.android
        system.shutdown()
        assert ("death", 137) in app.events and system.process_of(HOST) is None
        device.boot()
        assert system.process_of(HOST) is not None and app.events[-1][0] == "start"
        with pytest.raises(UnknownPackageError, match="not installed"):
            system.attach_app("com.nope", object())

    in_loop(check, app)
