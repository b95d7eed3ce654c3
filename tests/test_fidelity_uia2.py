"""Fidelity: the uiautomator2 server methods labs use beyond the harness's — toasts, orientation (the
display turns; hierarchy and screenshots follow) and the AdbKeyboard input method that ``send_keys``
installs from uiautomator2's own APK — with the real, unmodified uiautomator2 client."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

import simulator
from simulator.android.ui import UiNode, Window
from tests.conftest import SimFactory

u2 = pytest.importorskip("uiautomator2")

PKG = "com.example.wmpfhost"


class Form:
    """A window with one focused edit field that takes typed text."""

    def __init__(self) -> None:
        self.typed = ""

    def build(self, width: int, height: int) -> UiNode:
        return UiNode(bounds=(0, 0, width, height), package=PKG, background=(240, 240, 240), children=[
            UiNode("android.widget.EditText", text=self.typed, resource_id=f"{PKG}:id/name", package=PKG,
                   focusable=True, focused=True, clickable=True, bounds=(40, 100, width - 40, 220)),
        ])

    def on_text(self, text: str) -> bool:
        self.typed += text
        return True


@pytest.fixture(scope="module")
def u2sim(make_module_sim: SimFactory) -> simulator.Simulator:
    return make_module_sim(1, time_scale=0.05)


@pytest.fixture(scope="module")
def d(u2sim: simulator.Simulator, adb_server: Any) -> Iterator[Any]:
    device = u2.connect(adb_server.client().device(u2sim.devices[0].serial))
    yield device
    device.stop_uiautomator()


@pytest.fixture
def form(u2sim: simulator.Simulator) -> Form:
    app = Form()
    dev = u2sim.device(0)

    def show() -> None:
        dev.android.screen.set_power(True)
        dev.android.screen.show(Window(PKG, f"{PKG}/.FormActivity", app.build, on_text=app.on_text))

    u2sim.call(show)
    return app


def test_toast_show_then_get_message(d: Any) -> None:
    d.toast.reset()
    assert d.toast.get_message(wait_timeout=0.5, default="none") == "none"
    d.toast.show("Saved", 1.0)
    assert d.toast.get_message(wait_timeout=2) == "Saved"
    d.toast.reset()
    assert d.last_toast is None


def test_orientation_turns_display_hierarchy_and_screenshot(d: Any, form: Form) -> None:
    assert d.orientation == "natural"
    try:
        d.set_orientation("left")
        assert d.orientation == "left"
        assert (d.info["displayWidth"], d.info["displayHeight"]) == (1920, 1200)
        assert d.window_size() == (1920, 1200)
        xml = d.dump_hierarchy()
        assert '<hierarchy rotation="1"' in xml
        assert 'bounds="[40,100][1880,220]"' in xml  # the form laid out in landscape
        shot = d.screenshot()
        assert shot.size == (1920, 1200)
        png = d.adb_device.shell("screencap -p", encoding=None)
        assert Image.open(io.BytesIO(png)).size == (1920, 1200)
        assert "SurfaceOrientation: 1" in d.shell("dumpsys input").output
    finally:
        d.set_orientation("natural")
    assert d.orientation == "natural" and d.window_size() == (1200, 1920)


def test_send_keys_installs_adb_keyboard_and_types(d: Any, form: Form, u2sim: simulator.Simulator) -> None:
    d.send_keys("你好 wmpf")
    assert form.typed == "你好 wmpf"
    assert d.current_ime() == "com.github.uiautomator/.AdbKeyboard"
    assert "package:com.github.uiautomator" in d.shell("pm list packages").output
