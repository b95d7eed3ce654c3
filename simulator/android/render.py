"""Draw the screen's view tree into an image: what ``screencap`` and uiautomator2's screenshot return.

Rendering is deliberately plain — each node's background rectangle and its text — because a test bench
needs screenshots that show *which* screen is up (for a report or a human), not pixel-exact Android.
A screen that is off, or shows nothing, is black, like a real panel.

Fonts: DejaVu Sans from Debian's fonts-dejavu-core when present, else Pillow's bundled FreeType font
(Pillow >= 10.1). Chinese text (caller names) needs a CJK font; the first of :data:`CJK_FONTS` found is
used, and without one CJK characters draw as boxes (install fonts-noto-cjk or fonts-wqy-microhei).
``$WMPF_SIM_CJK_FONTS`` (colon-separated paths) replaces that list; set it empty to play a device without a
CJK font, whose caller names show as boxes (how tests prove the harness's missing-glyph check).
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import struct

from PIL import Image, ImageDraw, ImageFont

from simulator.android.ui import Screen, UiNode

LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
CJK_FONTS_ENV = "WMPF_SIM_CJK_FONTS"
PADDING = 12
PNG_COMPRESS_LEVEL = 1  # flat UI images compress well even at level 1, and 6 costs ~4x the time
RAW_FORMAT_RGBA_8888 = 1
RAW_DATASPACE_SRGB = 1

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _first_existing(paths: tuple[str, ...]) -> str | None:
    return next((p for p in paths if os.path.exists(p)), None)


def cjk_fonts() -> tuple[str, ...]:
    """The CJK fonts to look for: :data:`CJK_FONTS`, or ``$WMPF_SIM_CJK_FONTS`` when set (read at each use)."""
    override = os.environ.get(CJK_FONTS_ENV)
    if override is None:
        return CJK_FONTS
    return tuple(p for p in override.split(":") if p)


def font(size: int, cjk: bool = False) -> Font:
    return _font(size, _first_existing(cjk_fonts()) if cjk else None)


@functools.lru_cache(maxsize=64)
def _font(size: int, cjk_path: str | None) -> Font:
    path = cjk_path or _first_existing(LATIN_FONTS)
    if path is not None:
        return ImageFont.truetype(path, size)
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed bitmap font, small but legible
        return ImageFont.load_default()


def has_cjk_font() -> bool:
    return _first_existing(cjk_fonts()) is not None


def _is_cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


def _wrap(draw: ImageDraw.ImageDraw, text: str, face: Font, width: int) -> list[str]:
    """Greedy character wrap (works for CJK, which has no spaces); explicit newlines are kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for ch in paragraph:
            if line and draw.textlength(line + ch, font=face) > width:
                lines.append(line)
                line = ch
            else:
                line += ch
        lines.append(line)
    return lines


def _draw_text(draw: ImageDraw.ImageDraw, node: UiNode) -> None:
    left, top, right, bottom = node.bounds
    width, height = right - left - 2 * PADDING, bottom - top
    if width <= 0 or height <= 0:
        return
    face = font(max(8, node.font_size), _is_cjk(node.text))
    lines = _wrap(draw, node.text, face, width)
    line_height = int(node.font_size * 1.25)
    lines = lines[: max(1, height // max(1, line_height))]
    centered = node.clickable or "Button" in node.class_name
    y = top + max(0, (height - line_height * len(lines)) // 2)
    for line in lines:
        line_width = draw.textlength(line, font=face)
        x = left + PADDING + ((width - line_width) / 2 if centered else 0)
        draw.text((x, y), line, fill=node.text_color, font=face)
        y += line_height


def render(screen: Screen) -> Image.Image:
    """The screen as an RGB image of its current (logical) size."""
    image = Image.new("RGB", (max(1, screen.width), max(1, screen.height)), (0, 0, 0))
    if not screen.on or screen.top() is None:
        return image
    draw = ImageDraw.Draw(image)
    for node in screen.tree().walk():
        left, top, right, bottom = node.bounds
        if right <= left or bottom <= top:
            continue
        if node.background is not None:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=node.background)
        if node.text:
            _draw_text(draw, node)
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


async def encoded_off_loop(image: Image.Image, fmt: str, **options: object) -> bytes:
    """Compress a rendered frame on a worker thread (Pillow releases the GIL while it deflates).

    A PNG of a 1200x1920 screen takes ~40 ms to compress; on the device's event loop that would hold up every
    other request to the device meanwhile (a uiautomator2 tap sent while the harness grabs the ring
    screenshot), which a real phone, compressing in its own screencap process, does not do.
    """
    return await asyncio.to_thread(encode, image, fmt, **options)


async def png_bytes(screen: Screen) -> bytes:
    """``screencap -p``: a PNG of the screen, read on the loop (where it lives) and compressed off it."""
    return await encoded_off_loop(render(screen), "PNG", compress_level=PNG_COMPRESS_LEVEL)



def raw_bytes(screen: Screen) -> bytes:
    """``screencap`` without ``-p``: width, height, format, dataspace (u32 LE each; API 29+) + RGBA pixels."""
    image = render(screen).convert("RGBA")
    header = struct.pack("<4I", image.width, image.height, RAW_FORMAT_RGBA_8888, RAW_DATASPACE_SRGB)
    return header + image.tobytes()
