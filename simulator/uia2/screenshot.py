"""``takeScreenshot``: the screen as a base64 JPEG, the way the real server answers ``takeScreenshot(1, 80)``.

Pixels come from the device's shared renderer (:mod:`simulator.android.render`), the same one
``screencap`` uses, so uiautomator2's screenshot and ``adb exec-out screencap -p`` always agree.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from simulator.android import render

if TYPE_CHECKING:
    from simulator.device import SimDevice


async def screenshot_base64(device: SimDevice, scale: float = 1.0, quality: int = 80) -> str:
    """Base64 JPEG of the screen, scaled and compressed like ``UiDevice.takeScreenshot`` (off the loop)."""
    image = render.render(device.android.screen).convert("RGB")
    if 0 < scale < 1:
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    data = await render.encoded_off_loop(image, "JPEG", quality=max(1, min(100, int(quality))))
    return base64.b64encode(data).decode("ascii")


async def screenshot_png(device: SimDevice) -> bytes:
    """PNG bytes for the old ``takeScreenshot(filename, scale, quality)`` form."""
    return await render.png_bytes(device.android.screen)
