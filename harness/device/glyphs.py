"""Did a text reach the screen as glyphs, or as missing-glyph boxes ("tofu")?

The view hierarchy cannot tell: it holds the string the app set, whatever the font could draw. Only the
screenshot shows that a device without a CJK font drew a Chinese caller name as a row of empty rectangles.
So the check is screenshot-based and works on any device: find the element showing the text in the
uiautomator2 hierarchy, crop its bounds from a screenshot, cut the ink into glyph cells, and look for
*tofu*: different characters drawn as the same pixels. A missing glyph is the font's one ``.notdef`` box,
a hollow rectangle; real glyphs of different characters never render identically, and hardly any is a hollow
rectangle (口, 囗, □ are, and are counted as such). So when a text with at least two distinct non-ASCII
characters shows two or more pixel-identical hollow boxes, more than it has box-shaped characters, some of
its glyphs are missing. A text with fewer distinct non-ASCII characters is reported as not checked: a name of
one repeated character looks the same drawn or missing.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageChops

from harness.device.screen import screencap

if TYPE_CHECKING:
    from harness.device.session import DeviceSession

INK_DELTA = 64          # a pixel is ink when a channel differs this much from the element's background
SAME_CELL_MISMATCH = 0.05  # two cells are "the same glyph" below this fraction of differing pixels
BOX_EDGE_INK = 0.7      # a tofu box: each of its four edges is at least this inked...
BOX_INSIDE_ROW_INK = 0.5  # ...and no row or column inside it is inked more than this (日 and 田 are not boxes)
MIN_CELL_PX = 6         # cells narrower or shorter than this are dots and strokes, never a box
BOX_SHAPED = frozenset("口囗□☐▢⬜▯")  # characters whose real glyph is itself a hollow box

Bounds = tuple[int, int, int, int]


@dataclass(frozen=True)
class GlyphCheck:
    """What the screen showed for ``text``: ``missing`` is True when its glyphs came out as tofu."""

    text: str
    checked: bool
    missing: bool = False
    bounds: Bounds | None = None
    cells: int = 0
    identical_boxes: int = 0
    reason: str = ""

    def describe(self) -> str:
        where = f" at {self.bounds}" if self.bounds else ""
        if not self.checked:
            return f"glyphs of {self.text!r} not checked: {self.reason}"
        verdict = "rendered as missing-glyph boxes" if self.missing else "rendered as glyphs"
        return (f"{self.text!r}{where} {verdict}: {self.cells} glyph cells of which {self.identical_boxes} are "
                f"identical hollow boxes, for {_non_ascii(self.text)} non-ASCII characters")


def _non_ascii(text: str) -> int:
    return sum(1 for ch in text if ord(ch) > 0x7F and not ch.isspace())


def checkable(text: str) -> bool:
    """At least two distinct non-ASCII characters: only then can identical cells mean missing glyphs."""
    return len({ch for ch in text if ord(ch) > 0x7F and not ch.isspace()}) >= 2


def _ink_mask(image: Image.Image) -> list[list[bool]]:
    """Pixels that differ from the element's background (its most common colour) in some channel."""
    rgb = image.convert("RGB")
    colors = rgb.getcolors(rgb.width * rgb.height) or []
    background = max(colors)[1] if colors else (0, 0, 0)
    r, g, b = ImageChops.difference(rgb, Image.new("RGB", rgb.size, background)).split()
    ink = ImageChops.lighter(ImageChops.lighter(r, g), b).point(lambda v: 255 if v >= INK_DELTA else 0).tobytes()
    return [[bool(v) for v in ink[y * rgb.width:(y + 1) * rgb.width]] for y in range(rgb.height)]


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _cells(mask: list[list[bool]]) -> list[list[list[bool]]]:
    """Each glyph cell: lines are runs of inked rows, cells runs of inked columns, each cut to its ink."""
    cells = []
    for top, bottom in _runs([any(row) for row in mask]):
        lines = mask[top:bottom]
        for left, right in _runs([any(row[x] for row in lines) for x in range(len(mask[0]))]):
            cell = [row[left:right] for row in lines]
            rows = [i for i, row in enumerate(cell) if any(row)]
            cells.append(cell[rows[0]:rows[-1] + 1])
    return cells


def _is_box(cell: list[list[bool]]) -> bool:
    """A hollow rectangle: four inked edges around an inside where no row or column is mostly ink."""
    h, w = len(cell), len(cell[0])
    if h < MIN_CELL_PX or w < MIN_CELL_PX:
        return False
    edges = [cell[0], cell[-1], [r[0] for r in cell], [r[-1] for r in cell]]
    if any(sum(e) < BOX_EDGE_INK * len(e) for e in edges):
        return False

    def mostly_ink(line: list[bool]) -> bool:
        return sum(line) > BOX_INSIDE_ROW_INK * len(line)

    top, bottom = 0, h  # peel the edges (their stroke may be several pixels thick) off each side
    while top < bottom and mostly_ink(cell[top]):
        top += 1
    while bottom > top and mostly_ink(cell[bottom - 1]):
        bottom -= 1
    left, right = 0, w
    while left < right and mostly_ink([r[left] for r in cell]):
        left += 1
    while right > left and mostly_ink([r[right - 1] for r in cell]):
        right -= 1
    if bottom - top < h // 3 or right - left < w // 3:  # no inside worth the name: a stroke, a dot, a bar
        return False
    inside = [r[left:right] for r in cell[top:bottom]]
    columns = [[r[x] for r in inside] for x in range(right - left)]
    return not any(mostly_ink(line) for line in [*inside, *columns])


def _same(a: list[list[bool]], b: list[list[bool]]) -> bool:
    if abs(len(a) - len(b)) > 1 or abs(len(a[0]) - len(b[0])) > 1:
        return False
    h, w = min(len(a), len(b)), min(len(a[0]), len(b[0]))
    differ = sum(a[y][x] != b[y][x] for y in range(h) for x in range(w))
    return differ <= SAME_CELL_MISMATCH * h * w


def check_image(image: Image.Image, text: str, bounds: Bounds | None = None) -> GlyphCheck:
    """Judge ``text`` as drawn in ``image`` (the element's crop)."""
    if not checkable(text):
        return GlyphCheck(text, checked=False, bounds=bounds, reason="fewer than two distinct non-ASCII characters")
    cells = _cells(_ink_mask(image))
    groups: list[list[list[list[bool]]]] = []
    for cell in filter(_is_box, cells):
        group = next((g for g in groups if _same(g[0], cell)), None)
        if group is None:
            groups.append([cell])
        else:
            group.append(cell)
    boxes = max((len(g) for g in groups), default=0)
    box_shaped = sum(1 for ch in text if ch in BOX_SHAPED)
    return GlyphCheck(text, checked=True, missing=boxes >= 2 and boxes > box_shaped, bounds=bounds,
                      cells=len(cells), identical_boxes=boxes)


def _parse_bounds(value: str) -> Bounds | None:
    try:
        left_top, right_bottom = value.strip("[]").split("][")
        left, top = (int(v) for v in left_top.split(","))
        right, bottom = (int(v) for v in right_bottom.split(","))
    except ValueError:
        return None
    return (left, top, right, bottom) if right > left and bottom > top else None


def find_text_bounds(hierarchy_xml: str, text: str) -> Bounds | None:
    """Bounds of the smallest element whose text is ``text`` (else contains its first line)."""
    first_line = text.split("\n")[0].strip()
    exact: list[Bounds] = []
    partial: list[Bounds] = []
    for node in ET.fromstring(hierarchy_xml).iter("node"):
        shown = node.get("text") or ""
        bounds = _parse_bounds(node.get("bounds", ""))
        if bounds is None or not shown:
            continue
        if shown == text:
            exact.append(bounds)
        elif first_line and first_line in shown:
            partial.append(bounds)

    def area(b: Bounds) -> int:
        return (b[2] - b[0]) * (b[3] - b[1])

    matches = exact or partial
    return min(matches, key=area) if matches else None


def check_on_screen(session: DeviceSession, text: str) -> GlyphCheck:
    """The element showing ``text`` now, from the device's hierarchy and a screenshot taken right after."""
    if not checkable(text):
        return check_image(Image.new("RGB", (1, 1)), text)
    bounds = find_text_bounds(session.u2.dump_hierarchy(), text)
    if bounds is None:
        return GlyphCheck(text, checked=False, reason="no element on screen shows this text")
    shot = Image.open(io.BytesIO(screencap(session)))
    return check_image(shot.crop(bounds), text, bounds)
