"""Helpers for the report tests: headless Chromium (required under CI) and checks on its screenshots."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from harness.report.svg import DATA_COLOUR
from tests.support.browser import Chromium, PageResult, box_pixels, find_chromium

DATA_RGB = tuple(int(DATA_COLOUR[i:i + 2], 16) for i in (1, 3, 5))

# Rectangles (page coordinates) of the report's plots and screenshots, read after the page settled.
BOXES_JS = """JSON.stringify({
  plots: [...document.querySelectorAll('svg.wr-plot')].map(e => e.getBoundingClientRect().toJSON()),
  shots: [...document.querySelectorAll('img.wr-shot, .media img, img.media__image, #media-viewer img')]
           .filter(e => e.naturalWidth > 0 && e.checkVisibility()).map(e => e.getBoundingClientRect().toJSON()),
  scripts: document.querySelectorAll('script').length,
  text: document.body.innerText})"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: make deps installs Debian's chromium")
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    with Chromium() as browser:
        yield browser


def box_of(rect: dict[str, float]) -> tuple[int, int, int, int]:
    return (int(rect["left"]), int(rect["top"]), int(rect["right"]), int(rect["bottom"]))


def data_pixels(page: PageResult, rect: dict[str, float]) -> int:
    """Pixels of the plots' data colour inside ``rect`` of the page's screenshot."""
    return sum(1 for r, g, b in box_pixels(page.screenshot, box_of(rect))
               if abs(r - DATA_RGB[0]) <= 40 and abs(g - DATA_RGB[1]) <= 40 and abs(b - DATA_RGB[2]) <= 40)


def not_blank(page: PageResult, rect: dict[str, float]) -> float:
    """Share of pixels inside ``rect`` that are not the page's white background."""
    pixels = box_pixels(page.screenshot, box_of(rect))
    return sum(1 for p in pixels if min(p) < 235) / max(1, len(pixels))
