"""End to end: the real, unmodified uiautomator2 client drives the simulated device through a real adb server.

Covers what the harness relies on: ``u2.connect`` (jar push, server launch over a streaming shell, /ping),
``d.info``, ``d.dump_hierarchy()``, selector queries and clicks, keys, screen power, screenshots, and the
client's own recovery after the on-device server is killed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

simulator = pytest.importorskip("simulator")
u2 = pytest.importorskip("uiautomator2")

from simulator.android.ui import UiNode, Window  # noqa: E402
from simulator.uia2 import crash_server, running_server  # noqa: E402
from tests.conftest import SimFactory  # noqa: E402

PKG = "com.example.wmpfhost"
ACTIVITY = f"{PKG}/.IncomingCallActivity"
T = TypeVar("T")


class CallScreen:
    """A little incoming-call window whose buttons record what was pressed."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def build(self, width: int, height: int) -> UiNode:
        return UiNode(bounds=(0, 0, width, height), package=PKG, background=(30, 30, 40), children=[
            UiNode("android.widget.TextView", text="Alice is calling", resource_id=f"{PKG}:id/caller",
                   package=PKG, bounds=(0, 200, width, 320), text_color=(255, 255, 255)),
            UiNode("android.widget.Button", text="Decline", resource_id=f"{PKG}:id/decline", package=PKG,
                   clickable=True, bounds=(100, 1500, 500, 1700), background=(200, 40, 40),
                   on_click=lambda: self.events.append("decline")),
            UiNode("android.widget.Button", text="Accept", resource_id=f"{PKG}:id/accept", package=PKG,
                   content_desc="accept call", clickable=True, long_clickable=True,
                   bounds=(700, 1500, 1100, 1700), background=(40, 180, 60),
                   on_click=lambda: self.events.append("accept"),
                   on_long_click=lambda: self.events.append("accept-long")),
        ])

    def on_key(self, keycode: int) -> bool:
        self.events.append(f"key{keycode}")
        return True


@pytest.fixture(scope="module")
def u2sim(make_module_sim: SimFactory) -> simulator.Simulator:
    """A private device: these tests replace its screen and crash its uiautomator2 server."""
    return make_module_sim(1)


@pytest.fixture
def screen(u2sim: simulator.Simulator) -> CallScreen:
    app = CallScreen()
    dev = u2sim.device(0)

    def show() -> None:
        dev.android.screen.set_power(True)
        dev.android.screen.show(Window(PKG, ACTIVITY, app.build, on_key=app.on_key))

    u2sim.call(show)
    return app


@pytest.fixture(scope="module")
def d(u2sim: simulator.Simulator, adb_server: Any) -> Any:
    adb_device = adb_server.client().device(u2sim.devices[0].serial)
    device = u2.connect(adb_device)
    yield device
    device.stop_uiautomator()


def median_ms(fn: Callable[[], T], n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def test_connect_pushes_jar_and_starts_server(u2sim: simulator.Simulator, d: Any) -> None:
    dev = u2sim.device(0)
    assert u2sim.call(lambda: dev.fs.exists("/data/local/tmp/u2.jar"))
    server = u2sim.call(lambda: running_server(dev, 9008))
    assert server is not None and server.process is not None
    assert u2sim.call(lambda: [p.pid for p in dev.processes.by_name("app_process")]) == [server.process.pid]


def test_info(d: Any, screen: CallScreen) -> None:
    info = d.info
    assert info["currentPackageName"] == PKG
    assert (info["displayWidth"], info["displayHeight"]) == (1200, 1920)
    assert info["screenOn"] is True and info["sdkInt"] == 30


def test_dump_hierarchy_shows_the_window(d: Any, screen: CallScreen) -> None:
    xml = d.dump_hierarchy()
    assert 'text="Alice is calling"' in xml and f'resource-id="{PKG}:id/accept"' in xml
    assert "Accept" in d.dump_hierarchy(pretty=True)


def test_selectors_and_clicks(d: Any, screen: CallScreen) -> None:
    assert d(text="Accept").exists
    assert not d(text="Ghost").exists
    assert d(resourceId=f"{PKG}:id/decline").wait(timeout=1)
    assert d(description="accept call").info["bounds"] == {"bottom": 1700, "left": 700, "right": 1100,
                                                          "top": 1500}
    assert d(className="android.widget.Button", instance=1).get_text() == "Accept"
    assert d(className="android.widget.Button").count == 2
    d(text="Accept").click()
    d(resourceId=f"{PKG}:id/decline").click()
    d(text="Accept").long_click()
    d.click(300, 1600)
    assert screen.events == ["accept", "decline", "accept-long", "decline"]
    with pytest.raises(u2.UiObjectNotFoundError):
        d(text="Ghost").click(timeout=0.3)
    with pytest.raises(u2.UiObjectNotFoundError):
        _ = d(text="Ghost").info


def test_xpath_and_second_client(d: Any, screen: CallScreen, u2sim: simulator.Simulator,
                                 adb_server: Any) -> None:
    d.xpath('//*[@resource-id="com.example.wmpfhost:id/accept"]').click()
    assert d.xpath('//android.widget.Button[@text="Decline"]').exists
    assert screen.events == ["accept"]
    before = u2sim.call(lambda: running_server(u2sim.device(0)))
    other = u2.connect(adb_server.client().device(u2sim.devices[0].serial))  # finds the server alive
    assert other.info["currentPackageName"] == PKG
    assert u2sim.call(lambda: running_server(u2sim.device(0))) is before


def test_keys_power_and_screenshot(d: Any, screen: CallScreen) -> None:
    d.press("back")
    d.press("enter")
    d.press(66)  # pressKeyCode
    assert screen.events[:3] == ["key4", "key66", "key66"]
    d.screen_off()
    assert d.info["screenOn"] is False
    d.screen_on()
    assert d.info["screenOn"] is True
    image = d.screenshot()
    assert image.size == (1200, 1920)
    assert image.getpixel((900, 1600))[1] > 120  # the green Accept button


def test_press_home_goes_to_launcher(u2sim: simulator.Simulator, d: Any, screen: CallScreen) -> None:
    launcher = u2sim.call(lambda: u2sim.device(0).android.launcher_package)
    d.press("home")
    assert d.info["currentPackageName"] == launcher
    assert d(resourceId=f"{launcher}:id/apps_list").exists


def test_app_helpers_and_window_size(u2sim: simulator.Simulator, d: Any, screen: CallScreen) -> None:
    """The d.* calls that go through shell commands rather than the server (wm, dumpsys, monkey, am)."""
    assert d.window_size() == (1200, 1920)
    assert d.app_current()["package"] == PKG
    d.app_start("com.android.settings")
    assert d.app_current()["package"] == "com.android.settings"
    assert d.info["currentPackageName"] == "com.android.settings"
    d.app_stop("com.android.settings")
    assert d.info["currentPackageName"] != "com.android.settings"
    assert d.shell("echo hi").output == "hi\n"


def test_screenshot_matches_screencap(d: Any, screen: CallScreen) -> None:
    via_server = d.screenshot()
    via_adb = d.adb_device.screenshot()
    assert via_server.size == via_adb.size
    for point in ((900, 1600), (300, 1600), (10, 10)):
        assert all(abs(a - b) < 24 for a, b in zip(via_server.getpixel(point), via_adb.getpixel(point),
                                                    strict=True))


def test_recovers_after_server_crash(u2sim: simulator.Simulator, d: Any, screen: CallScreen) -> None:
    dev = u2sim.device(0)
    old = u2sim.call(lambda: crash_server(dev))
    assert old
    assert u2sim.call(lambda: running_server(dev)) is None
    assert d.info["currentPackageName"] == PKG  # uiautomator2 notices, relaunches and retries
    server = u2sim.call(lambda: running_server(dev))
    assert server is not None and server.process is not None and server.process.pid != old


def test_figures(d: Any, screen: CallScreen, record_property: Callable[[str, object], None]) -> None:
    info_ms = median_ms(lambda: d.info, 15)
    dump_ms = median_ms(d.dump_hierarchy, 10)
    click_ms = median_ms(lambda: d(text="Accept").click(), 10)
    shot_ms = median_ms(d.screenshot, 5)
    for name, value in (("info_ms", info_ms), ("dump_ms", dump_ms), ("click_ms", click_ms),
                        ("screenshot_ms", shot_ms)):
        record_property(name, round(value, 1))
    print(f"\nuia2 figures: d.info {info_ms:.1f} ms, dump {dump_ms:.1f} ms, selector click {click_ms:.1f} ms, "
          f"screenshot {shot_ms:.1f} ms")
    assert info_ms < 1000 and click_ms < 3000
