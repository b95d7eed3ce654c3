"""Two small hand-rolled SVG charts for the field section: lines over call index (the soak's samples) and
bars per condition (push_to_ring p50). Hand-rolled like the waterfall: a soak's several hundred points in a
few polylines cost a few KiB, and no script or external resource enters the page. Text goes through ``esc``.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.report.svg import DATA_COLOUR, FONT, MARK_COLOUR, H, W, _svg, esc, nice_ticks

LINE_COLOURS = (DATA_COLOUR, "#2a9d5c", "#9b59b6", "#e08a1e")
LEFT, RIGHT, TOP, BOTTOM = 56, 10, 26, 30


def fmt_tick(value: float, step: float) -> str:
    """A plain number tick (calls, KiB, threads): thousands grouped, decimals only when the step needs them."""
    if step >= 1 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.{min(3, max(1, -int(f'{step:e}'.split('e')[1])))}f}"


def _axes(x_ticks: Sequence[float], y_ticks: Sequence[float], sx, sy, x_title: str) -> list[str]:  # type: ignore[no-untyped-def]
    x_step = x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1.0
    y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1.0
    parts = [f'<g font-family="{esc(FONT)}" font-size="10" fill="#555">']
    for t in y_ticks:
        y = sy(t)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>'
                     f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{esc(fmt_tick(t, y_step))}</text>')
    for t in x_ticks:
        x = sx(t)
        parts.append(f'<text x="{x:.1f}" y="{H - BOTTOM + 13}" text-anchor="middle">{esc(fmt_tick(t, x_step))}'
                     "</text>")
    parts.append(f'<text x="{(LEFT + W - RIGHT) / 2:.1f}" y="{H - 4}" text-anchor="middle">{esc(x_title)}</text>'
                 "</g>")
    return parts


def lines_svg(lines: dict[str, list[tuple[float, float]]], title: str, *, x_title: str = "") -> str:
    """One polyline per name over a shared x axis, with a legend in the title band."""
    points = [p for pts in lines.values() for p in pts]
    if not points:
        return ""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x_ticks = nice_ticks(min(xs), max(xs))
    lo, hi = min(ys), max(ys)
    if hi - lo < max(1.0, abs(hi) * 0.01):  # a flat line: a band around it, not a magnified wobble
        pad = max(1.0, abs(hi) * 0.05)
        lo, hi = lo - pad, hi + pad
    y_ticks = nice_ticks(lo, hi, 4)

    def sx(x: float) -> float:
        return LEFT + (x - x_ticks[0]) / ((x_ticks[-1] - x_ticks[0]) or 1) * (W - LEFT - RIGHT)

    def sy(y: float) -> float:
        return H - BOTTOM - (y - y_ticks[0]) / ((y_ticks[-1] - y_ticks[0]) or 1) * (H - TOP - BOTTOM)

    parts = [f'<text x="6" y="14" font-family="{esc(FONT)}" font-size="12" fill="#222">{esc(title)}</text>']
    parts += _axes(x_ticks, y_ticks, sx, sy, x_title)
    for i, (name, pts) in enumerate(lines.items()):
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}">'
                     f"<title>{esc(name)}</title></polyline>")
        parts.append(f'<text x="{W - RIGHT - 4}" y="{TOP + 10 + 12 * i}" text-anchor="end" font-size="10" '
                     f'font-family="{esc(FONT)}" fill="{colour}">{esc(name)}</text>')
    return _svg(parts, f"{title}: {len(points)} samples")


def bars_svg(bars: list[tuple[str, float | None, bool]], title: str, *, unit: str = "ms") -> str:
    """Horizontal bars, one per label; a bar whose calls did not all pass is drawn in the alarm colour, and a
    label without a value (no call rang) says so instead of a bar."""
    if not bars:
        return ""
    height = TOP + 18 * len(bars) + BOTTOM
    top = max([v for _, v, _ in bars if v is not None] or [1.0])
    ticks = nice_ticks(0.0, top, 4)
    left = 120

    def sx(v: float) -> float:
        return left + v / (ticks[-1] or 1) * (W - left - RIGHT - 40)

    parts = [f'<text x="6" y="14" font-family="{esc(FONT)}" font-size="12" fill="#222">{esc(title)}</text>',
             f'<g font-family="{esc(FONT)}" font-size="10" fill="#555">']
    for i, (label, value, ok) in enumerate(bars):
        y = TOP + 18 * i
        parts.append(f'<text x="{left - 4}" y="{y + 11}" text-anchor="end">{esc(label)}</text>')
        if value is None:
            parts.append(f'<text x="{left + 2}" y="{y + 11}" fill="{MARK_COLOUR}">no ring</text>')
            continue
        colour = DATA_COLOUR if ok else MARK_COLOUR
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{max(1.0, sx(value) - left):.1f}" height="12" '
                     f'fill="{colour}"><title>{esc(label)}: {value:.0f} {esc(unit)}</title></rect>'
                     f'<text x="{sx(value) + 3:.1f}" y="{y + 11}">{value:.0f}</text>')
    parts.append("</g>")
    return _svg(parts, f"{title}: {len(bars)} conditions", height=height)
