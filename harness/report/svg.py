"""Static inline SVG plots: a latency's CDF and histogram, and a call's waterfall.

Hand-rolled rather than a plotting library: the report must be one self-contained file that opens offline with
no script (pygal needs ``js=[]`` and still brings 1 MiB of install for two chart shapes; matplotlib 173 MiB),
and a few hundred lines of SVG are easy to audit for escaping. Every text that reaches the SVG goes through
:func:`esc`. Plots use the classes in :mod:`harness.report.html` 's style sheet, and fixed fill colours (the
screenshot test looks for the data colour's pixels).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from harness.redact import redact_text

DATA_COLOUR = "#2f6fd6"  # bars and CDF line: the screenshot test counts pixels of this colour
MARK_COLOUR = "#d64545"  # percentile marks
W, H = 380, 210
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 26, 34


def esc(value: object) -> str:
    """Text for HTML or SVG: secrets redacted, then escaped (quotes too, so it is safe in attributes)."""
    return html.escape(redact_text(str(value)), quote=True)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values spanning ``[lo, hi]`` (1, 2, 5 × 10^k steps)."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks, value = [], first
    while True:  # the last tick at or beyond hi: no sample is drawn outside the frame
        ticks.append(round(value, 10))
        if value >= hi - step * 1e-9:
            return ticks
        value += step


def fmt_ms(value: float) -> str:
    if abs(value) >= 10000:
        return f"{value / 1000:.0f}s"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}s"
    if abs(value) >= 10 or value == 0:
        return f"{value:.0f}"
    return f"{value:.1f}"


def fmt_tick(value: float, step: float) -> str:
    """An axis label with just the precision its tick spacing needs (0.2 ms steps keep a decimal)."""
    if step >= 1000:
        return f"{value / 1000:g}s"
    if step >= 1:
        return f"{value:.0f}"
    return f"{value:.{math.ceil(-math.log10(step))}f}"


def _step(ticks: Sequence[float]) -> float:
    return ticks[1] - ticks[0] if len(ticks) > 1 else 1.0


class _Frame:
    """Axes mapping data to pixels."""

    def __init__(self, x_lo: float, x_hi: float, y_lo: float, y_hi: float) -> None:
        self.x_ticks = nice_ticks(x_lo, x_hi)
        self.x_lo, self.x_hi = self.x_ticks[0], self.x_ticks[-1]
        self.y_lo, self.y_hi = y_lo, y_hi if y_hi > y_lo else y_lo + 1

    def x(self, value: float) -> float:
        return LEFT + (value - self.x_lo) / ((self.x_hi - self.x_lo) or 1) * (W - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return H - BOTTOM - (value - self.y_lo) / (self.y_hi - self.y_lo) * (H - TOP - BOTTOM)

    def axes(self, title: str, x_label: str, y_ticks: Sequence[tuple[float, str]]) -> list[str]:
        parts = [f'<text class="wr-plot-title" x="{LEFT}" y="16">{esc(title)}</text>',
                 f'<line class="wr-axis" x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}"/>',
                 f'<line class="wr-axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}"/>']
        for tick in self.x_ticks:
            x = self.x(tick)
            parts.append(f'<line class="wr-grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{H - BOTTOM}"/>')
            parts.append(f'<text class="wr-tick" x="{x:.1f}" y="{H - BOTTOM + 13}" '
                         f'text-anchor="middle">{esc(fmt_tick(tick, _step(self.x_ticks)))}</text>')
        for value, label in y_ticks:
            y = self.y(value)
            parts.append(f'<line class="wr-grid" x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}"/>')
            parts.append(f'<text class="wr-tick" x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{esc(label)}</text>')
        parts.append(f'<text class="wr-tick" x="{(LEFT + W - RIGHT) / 2:.0f}" y="{H - 4}" '
                     f'text-anchor="middle">{esc(x_label)}</text>')
        return parts


def _svg(parts: list[str], label: str, width: int = W, height: int = H) -> str:
    return (f'<svg class="wr-plot" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}">' + "".join(parts) + "</svg>")


def cdf_svg(samples: Sequence[float], title: str, marks: dict[str, float] | None = None) -> str:
    """The empirical CDF of sorted ``samples`` as a step line, with percentile marks."""
    values = sorted(samples)
    if not values:
        return ""
    frame = _Frame(values[0], values[-1], 0.0, 1.0)
    parts = frame.axes(title, "ms", [(q, f"{int(q * 100)}%") for q in (0.0, 0.25, 0.5, 0.75, 1.0)])
    n = len(values)
    points = [f"M{frame.x(values[0]):.1f},{frame.y(0):.1f}"]
    # one vertex pair per distinct value keeps 5,000 samples small
    i = 0
    while i < n:
        j = i
        while j + 1 < n and values[j + 1] == values[i]:
            j += 1
        x = frame.x(values[i])
        points.append(f"L{x:.1f},{frame.y(i / n):.1f}L{x:.1f},{frame.y((j + 1) / n):.1f}")
        i = j + 1
    points.append(f"L{frame.x(frame.x_hi):.1f},{frame.y(1):.1f}")
    parts.append(f'<path d="{"".join(points)}" fill="none" stroke="{DATA_COLOUR}" stroke-width="2.5"/>')
    for name, value in (marks or {}).items():
        x = frame.x(value)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{H - BOTTOM}" stroke="{MARK_COLOUR}" '
                     f'stroke-dasharray="3,3"/><text class="wr-tick" x="{x + 2:.1f}" y="{TOP + 9}" '
                     f'fill="{MARK_COLOUR}">{esc(name)}</text>')
    return _svg(parts, f"{title}: cumulative distribution of {n} calls")


def histogram_svg(samples: Sequence[float], title: str, bins: int | None = None) -> str:
    """A histogram of ``samples`` (√n bins, 5 to 30) with counts on the y axis."""
    values = sorted(samples)
    if not values:
        return ""
    bins = bins or max(5, min(30, round(math.sqrt(len(values)))))
    lo, hi = values[0], values[-1]
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - lo) / width))] += 1
    top = max(counts)
    count_ticks = nice_ticks(0, top, 4)
    y_ticks = [(t, f"{t:g}") for t in count_ticks if t == int(t)]
    frame = _Frame(lo, hi, 0.0, count_ticks[-1])
    parts = frame.axes(title, "ms", y_ticks)
    for index, count in enumerate(counts):
        if not count:
            continue
        x0, x1 = frame.x(lo + index * width), frame.x(lo + (index + 1) * width)
        y = frame.y(count)
        parts.append(f'<rect x="{x0 + 0.5:.1f}" y="{y:.1f}" width="{max(1.0, x1 - x0 - 1):.1f}" '
                     f'height="{frame.y(0) - y:.1f}" fill="{DATA_COLOUR}"><title>{esc(fmt_ms(lo + index * width))}'
                     f'–{esc(fmt_ms(lo + (index + 1) * width))} ms: {count}</title></rect>')
    return _svg(parts, f"{title}: histogram of {len(values)} calls")


def waterfall_svg(steps: Sequence[tuple[str, float, float]], title: str = "") -> str:
    """A call's steps ``(label, at_ms, bound_ms)`` as bars from one step to the next, one row each."""
    if not steps:
        return ""
    row, label_w, width = 18, 110, 560
    end = max(at for _, at, _ in steps) or 1.0
    ticks = nice_ticks(0.0, end, 5)
    scale = (width - label_w - 70) / (ticks[-1] or 1.0)
    height = TOP + row * len(steps) + 22
    parts = [f'<text class="wr-plot-title" x="4" y="16">{esc(title)}</text>'] if title else []
    base_y = TOP + row * len(steps)
    for tick in ticks:
        x = label_w + tick * scale
        parts.append(f'<line class="wr-grid" x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{base_y}"/>'
                     f'<text class="wr-tick" x="{x:.1f}" y="{base_y + 13}" text-anchor="middle">'
                     f'{esc(fmt_tick(tick, _step(ticks)))}</text>')
    previous = 0.0
    for index, (label, at, bound) in enumerate(steps):
        y = TOP + index * row
        x0, x1 = label_w + min(previous, at) * scale, label_w + at * scale
        parts.append(f'<text class="wr-tick" x="{label_w - 6}" y="{y + 12}" text-anchor="end">{esc(label)}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(2.0, x1 - x0):.1f}" height="{row - 6}" '
                     f'fill="{DATA_COLOUR}"><title>{esc(label)}: {at:.1f} ms ±{bound:.3f}</title></rect>')
        parts.append(f'<text class="wr-tick" x="{max(x1, x0 + 2) + 4:.1f}" y="{y + 12}">{esc(fmt_ms(at))} ms'
                     f'</text>')
        previous = max(previous, at)
    return _svg(parts, title or "call waterfall", width, height)
