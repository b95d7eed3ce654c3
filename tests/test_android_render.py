"""Screenshots must show a Chinese caller name as text, not as empty boxes."""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw

from simulator.android.render import font


def glyph(ch: str) -> Image.Image:
    image = Image.new("L", (80, 80), 0)
    ImageDraw.Draw(image).text((4, 4), ch, font=font(64, cjk=True), fill=255)
    return image


def test_cjk_caller_names_render_as_distinct_glyphs() -> None:
    zhang, san = glyph("张"), glyph("三")
    assert zhang.getbbox() is not None, "张 drew nothing"
    # Without a CJK font every Chinese character is the same 'missing glyph' box.
    assert ImageChops.difference(zhang, san).getbbox() is not None, (
        "张 and 三 render identically: no CJK font (install fonts-wqy-microhei; make deps does)")
