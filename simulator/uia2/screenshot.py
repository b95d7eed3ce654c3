"""``takeScreenshot``: the screen as a base64 JPEG, the way the real server answers ``takeScreenshot(1, 80)``.

Pixels come from the device's screen renderer (``simulator.android.render``, shared with ``screencap``)
when it is present, so both paths show the same picture; until then a small Pillow fallback draws node
backgrounds and texts. Remove the fallback once the shared renderer has landed.
"""

from __future__ import annotations

import base64
import importlib
import io
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont

from simulator.android.ui import Screen, UiNode

if TYPE_CHECKING:
    from simulator.device import SimDevice


def _shared_renderer() -> Any | None:
    try:
        return importlib.import_module("simulator.android.render")
    except ImportError:
        return None


def render_image(device: SimDevice) -> Image.Image:
    """The current screen as an RGB image (black while the display is off)."""
    screen = device.android.screen
    module = _shared_renderer()
    if module is not None:
        for name in ("render_image", "render"):
            fn = getattr(module, name, None)
            if callable(fn):
                result = fn(screen)
                if isinstance(result, Image.Image):
                    return result.convert("RGB")
                if isinstance(result, (bytes, bytearray)):
                    return Image.open(io.BytesIO(result)).convert("RGB")
        fn = getattr(module, "render_png", None)
        if callable(fn):
            return Image.open(io.BytesIO(fn(screen))).convert("RGB")
    return _fallback(screen)


def _fallback(screen: Screen) -> Image.Image:
    image = Image.new("RGB", (screen.width, screen.height), (0, 0, 0) if not screen.on else (250, 250, 250))
    if not screen.on:
        return image
    draw = ImageDraw.Draw(image)
    fonts: dict[int, Any] = {}
    for node in screen.tree().walk():
        _draw_node(draw, node, fonts)
    return image


def _draw_node(draw: ImageDraw.ImageDraw, node: UiNode, fonts: dict[int, Any]) -> None:
    left, top, right, bottom = node.bounds
    if right <= left or bottom <= top:
        return
    if node.background is not None:
        draw.rectangle((left, top, right - 1, bottom - 1), fill=node.background)
    label = node.text if not node.password else "\u2022" * len(node.text)
    if label:
        font = fonts.get(node.font_size)
        if font is None:
            try:
                font = ImageFont.load_default(size=node.font_size)
            except TypeError:  # Pillow < 10.1 has one bitmap size only
                font = ImageFont.load_default()
            fonts[node.font_size] = font
        draw.text((left + 8, top + 4), label, fill=node.text_color, font=font)


def screenshot_base64(device: SimDevice, scale: float = 1.0, quality: int = 80) -> str:
    """Base64 JPEG of the screen, scaled and compressed like ``UiDevice.takeScreenshot``."""
    image = render_image(device)
    if 0 < scale < 1:
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=max(1, min(100, int(quality))))
    return base64.b64encode(buf.getvalue()).decode("ascii")


def screenshot_png(device: SimDevice) -> bytes:
    buf = io.BytesIO()
    render_image(device).save(buf, format="PNG")
    return buf.getvalue()
