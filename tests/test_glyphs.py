"""The missing-glyph check: text drawn with and without a CJK font, on images and through the Chinese caller-name
scenario on a simulated device whose CJK font is taken away ($WMPF_SIM_CJK_FONTS empty)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from harness.device.adb_server import free_server_port
from harness.device.glyphs import check_image, checkable, find_text_bounds
from simulator.android import render
from tests.conftest import ADB_PORT, DEVICE_PORT

ROOT = Path(__file__).resolve().parent.parent


def drawn(text: str, *, cjk_font: bool, monkeypatch: pytest.MonkeyPatch, size: int = 64) -> Image.Image:
    """``text`` in white on dark blue as the simulator draws it, with or without its CJK font."""
    if cjk_font:
        monkeypatch.delenv(render.CJK_FONTS_ENV, raising=False)
        if not render.has_cjk_font():
            pytest.fail("no CJK font installed: run `make deps` (fonts-wqy-microhei)")
    else:
        monkeypatch.setenv(render.CJK_FONTS_ENV, "")
    image = Image.new("RGB", (1400, size * 2), (10, 20, 60))
    ImageDraw.Draw(image).text((12, size // 2), text, fill=(255, 255, 255), font=render.font(size, cjk=True))
    return image


@pytest.mark.parametrize("text", ["张三（爸爸）", "床前明月光，疑是地上霜", "Hello Bill 张三 ...",
                                  "<b>妈妈</b> 😀 &amp;", "日日田目回张"])
@pytest.mark.parametrize("size", [32, 64])
def test_tofu_is_found_without_the_font_and_not_with_it(text: str, size: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with_font = check_image(drawn(text, cjk_font=True, monkeypatch=monkeypatch, size=size), text)
    assert with_font.checked and not with_font.missing, with_font.describe()
    without = check_image(drawn(text, cjk_font=False, monkeypatch=monkeypatch, size=size), text)
    assert without.checked and without.missing, without.describe()
    assert without.identical_boxes >= 2


def test_texts_that_cannot_be_judged_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not checkable("Alice") and not checkable("爸爸") and checkable("张三")
    result = check_image(drawn("爸爸", cjk_font=False, monkeypatch=monkeypatch), "爸爸")
    assert not result.checked and not result.missing and "not checked" in result.describe()


def test_the_element_showing_the_text_is_found_in_the_hierarchy() -> None:
    xml = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">
      <node text="" bounds="[0,0][1200,1920]">
        <node text="Incoming call from 张三" bounds="[0,100][1200,200]" />
        <node text="张三" bounds="[0,384][1200,504]" />
        <node text="line one&#10;line two" bounds="[0,600][1200,700]" />
        <node text="张三" bounds="[10,10][10,10]" />
      </node></hierarchy>"""
    assert find_text_bounds(xml, "张三") == (0, 384, 1200, 504)  # exact text wins; empty bounds are skipped
    assert find_text_bounds(xml, "line one\nline two") == (0, 600, 1200, 700)
    assert find_text_bounds(xml, "line one\nsomething else") == (0, 600, 1200, 700)  # first line, contained
    assert find_text_bounds(xml, "王五") is None


@pytest.mark.parametrize("cjk_font", [True, False], ids=["cjk_font", "no_cjk_font"])
def test_chinese_caller_name_scenario_fails_when_the_name_shows_as_boxes(cjk_font: bool, tmp_path: Path) -> None:
    env = dict(os.environ)
    env.pop(render.CJK_FONTS_ENV, None)
    if not cjk_font:
        env[render.CJK_FONTS_ENV] = ""  # the simulated device (in the child pytest) has no CJK font
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios/test_push.py", "-p", "no:cacheprovider", "-q",
         "-k", "test_caller_name_is_shown_intact_and_runs_nothing and chinese and not broadcast",
         "--caller", "phone_bot",
         "--adb-port", str(free_server_port(ADB_PORT + 700)), "--sim-base-port", str(DEVICE_PORT + 1700),
         "--sim-time-scale", "0.1", "--run-dir", str(tmp_path / "run"), "--no-evidence"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    if cjk_font:
        assert proc.returncode == 0 and "1 passed" in out, out
    else:
        assert proc.returncode == 1 and "1 failed" in out, out
        assert "the caller name shows as missing glyphs: '张三（爸爸）'" in out, out
