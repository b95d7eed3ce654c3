"""Inline SVG plots: a latency's CDF and histogram (drawn by pygal), and a call's waterfall (hand-rolled).

The CDF and histogram are pygal charts rather than our own SVG code: pygal lays out axes, ticks and bars, and
writes static SVG that can be inlined in the page. The report must stay one file that opens offline and runs
no code, so :func:`_render` adjusts pygal's output through its own hooks:

* ``js=[]`` drops the CDN script pygal links by default, and an XML filter removes the inline config script
  pygal always writes (it only feeds that CDN script's tooltips): the page has no ``<script>`` at all;
* tooltips without script: each bar's or mark's label is copied into an SVG ``<title>``, which browsers show
  on hover;
* text: pygal escapes text itself (through lxml or ElementTree), so the charts get redacted, *unescaped* text
  (:func:`plain`); :func:`esc` (redact, then escape) is for text we write into HTML or SVG ourselves. Escaping
  for pygal too would show ``&amp;lt;`` in the page;
* colours: :data:`DATA_COLOUR` at full opacity for the data (the screenshot tests count its pixels),
  :data:`MARK_COLOUR` for the p50/p90/p99 marks on the CDF; pygal scopes each chart's style sheet to the
  chart's own id, so charts do not restyle each other or the page;
* size: the filter rounds coordinates to a tenth of a pixel and drops pygal's credit comments. Each chart
  still carries its own style sheet (about 8 KiB), so a 500-call summary is about 290 KiB (126 KiB when these
  plots were hand-rolled); pygal is imported on first use, not with this module.

The waterfall stays hand-rolled. pygal has no Gantt chart: a HorizontalStackedBar needs a transparent
"offset" series under every bar, lists the steps bottom-up and cannot print each step's time beside its bar;
and it costs about 16 KiB and 18 ms a call against 2.5 KiB and 0.2 ms here, paid once per call (a page of 500
calls would grow by 7 MiB and take 9 s longer to build) for one row of bars per step.
Every text that reaches our own SVG goes through :func:`esc`.
"""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from harness.redact import redact_text

if TYPE_CHECKING:
    from pygal.graph.graph import Graph

DATA_COLOUR = "#2f6fd6"  # bars and CDF line: the screenshot test counts pixels of this colour
MARK_COLOUR = "#d64545"  # percentile marks
W, H = 380, 210
TOP = 26  # the waterfall's title band
FONT = 'system-ui,-apple-system,"Segoe UI",Helvetica,Arial,"WenQuanYi Micro Hei",sans-serif'

_GEOMETRY = frozenset(("d", "x", "y", "cx", "cy", "width", "height", "transform"))
_DECIMALS = re.compile(r"(\d\.\d)\d+")
# Characters XML 1.0 cannot hold: lxml refuses them, so a device string carrying one would break the chart.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

STYLE_OPTIONS: dict[str, Any] = dict(
    colors=(DATA_COLOUR, MARK_COLOUR),
    font_family=FONT,  # no "googlefont:" prefix: that would link a web font
    background="#fff", plot_background="#fff",
    foreground="#555", foreground_strong="#222", foreground_subtle="#e4e4e4",
    guide_stroke_color="#e4e4e4", major_guide_stroke_color="#e4e4e4",
    guide_stroke_dasharray="none", major_guide_stroke_dasharray="none",
    title_font_size=12, label_font_size=10, major_label_font_size=10, value_font_size=10, value_label_font_size=10,
    # full opacity: a translucent fill or line is no longer DATA_COLOUR on screen. One stroke width for every
    # series: pygal's per-series stroke_style width loses to its own ".reactive" rule, so it cannot differ.
    opacity="1", opacity_hover=".85", stroke_opacity="1", stroke_opacity_hover="1",
    stroke_width="2", stroke_width_hover="2",
    transition="0ms",
)
CHART_OPTIONS: dict[str, Any] = dict(
    js=[], width=W, height=H, explicit_size=True, disable_xml_declaration=True,
    classes=["pygal-chart", "wr-plot"], show_legend=False, margin=6, margin_top=4, spacing=6,
    show_x_guides=True, show_y_guides=True, truncate_label=-1,
)


@functools.cache
def _style() -> Any:
    # pygal is imported on first use: this module is loaded by the pytest plugin (for esc) in every run, and
    # importing pygal costs about 0.1 s
    from pygal.style import Style

    return Style(**STYLE_OPTIONS)


def _options(**overrides: Any) -> dict[str, Any]:
    return {**CHART_OPTIONS, "style": _style(), **overrides}


def esc(value: object) -> str:
    """Text for HTML or SVG: secrets redacted, then escaped (quotes too, so it is safe in attributes)."""
    return html.escape(redact_text(str(value)), quote=True)


def plain(value: object) -> str:
    """Text for pygal, which escapes it itself: secrets redacted, characters XML cannot hold dropped."""
    return _NOT_XML.sub("", redact_text(str(value)))


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


def _tick_formatter(ticks: Sequence[float]) -> Callable[[float], str]:
    step = _step(ticks)
    return lambda value: fmt_tick(value, step)


def _static(label: str) -> Callable[[Any], Any]:
    """An XML filter: no script in the chart, native tooltips, an accessible name, coordinates to 0.1 px."""

    def apply(root: Any) -> Any:
        for node in [e for e in root.iter() if _tag(e) in ("script", "")]:  # "": pygal's credit comments
            parent = _parent(root, node)
            if parent is not None:
                parent.remove(node)
        for element in root.iter():
            for key in _GEOMETRY.intersection(element.keys()):
                # pygal writes 6 decimals; a tenth of a pixel halves a 500-call CDF and looks the same
                element.set(key, _DECIMALS.sub(r"\1", element.get(key)))
        for desc in [e for e in root.iter() if _tag(e) == "desc" and e.get("class") == "label"]:
            parent = _parent(root, desc)
            if parent is not None:
                title = parent.makeelement(desc.tag.replace("desc", "title"), {})
                title.text = desc.text
                parent.insert(0, title)
        root.set("role", "img")
        root.set("aria-label", label)
        return root

    return apply


def _tag(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parent(root: Any, child: Any) -> Any:
    getparent = getattr(child, "getparent", None)  # lxml; ElementTree has no parent links
    if getparent is not None:
        return getparent()
    return next((e for e in root.iter() if child in list(e)), None)


def _render(chart: Graph, label: str) -> str:
    chart.add_xml_filter(_static(plain(label)))
    svg: str = chart.render(is_unicode=True)
    return svg


def cdf_svg(samples: Sequence[float], title: str, marks: dict[str, float] | None = None) -> str:
    """The empirical CDF of ``samples`` as a step line, with percentile marks (a dashed line and a labelled dot)."""
    values = sorted(samples)
    if not values:
        return ""
    import pygal  # on first use: see _style

    n = len(values)
    ticks = nice_ticks(values[0], values[-1])
    chart = pygal.XY(title=plain(title), x_title="ms", x_labels=ticks, x_value_formatter=_tick_formatter(ticks),
                     y_labels=[0.0, 0.25, 0.5, 0.75, 1.0], value_formatter=lambda q: f"{q:.0%}",
                     range=(0.0, 1.0), xrange=(ticks[0], ticks[-1]), show_dots=False, allow_interruptions=True,
                     print_labels=True, **_options(margin_right=22))
    points: list[tuple[float, float]] = [(values[0], 0.0)]
    # one vertex pair per distinct value keeps 5,000 samples small
    i = 0
    while i < n:
        j = i
        while j + 1 < n and values[j + 1] == values[i]:
            j += 1
        points += [(values[i], i / n), (values[i], (j + 1) / n)]
        i = j + 1
    points.append((ticks[-1], 1.0))
    chart.add(plain(f"{title}: calls"), points)
    mark_points: list[Any] = []
    for name, value in (marks or {}).items():
        share = sum(1 for v in values if v <= value) / n
        # a dashed line up to a labelled dot on the curve; the label's short so p99 near the edge still fits
        mark_points += [{"value": (value, 0.0), "node": {"r": 0}}, {"value": (value, share), "label": plain(name)},
                        None]
    if mark_points:
        chart.add(plain("percentiles"), mark_points, show_dots=True, dots_size=3,
                  stroke_style={"dasharray": "3,3"})
    return _render(chart, f"{title}: cumulative distribution of {n} calls")


def histogram_svg(samples: Sequence[float], title: str, bins: int | None = None) -> str:
    """A histogram of ``samples`` (√n bins, 5 to 30) with counts on the y axis."""
    values = sorted(samples)
    if not values:
        return ""
    import pygal  # on first use: see _style

    bins = bins or max(5, min(30, round(math.sqrt(len(values)))))
    lo, hi = values[0], values[-1]
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    width = (hi - lo) / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - lo) / width))] += 1
    count_ticks = [t for t in nice_ticks(0, max(counts), 4) if t == int(t)]
    ticks = nice_ticks(lo, hi)
    chart = pygal.Histogram(title=plain(title), x_title="ms", x_labels=ticks, x_value_formatter=_tick_formatter(ticks),
                            y_labels=count_ticks, value_formatter=lambda c: f"{c:g}", range=(0, count_ticks[-1]),
                            xrange=(ticks[0], ticks[-1]), **_options())
    bars = [{"value": (count, lo + k * width, lo + (k + 1) * width),
             "label": f"{fmt_ms(lo + k * width)}–{fmt_ms(lo + (k + 1) * width)} ms: {count}"}
            for k, count in enumerate(counts) if count]
    chart.add(plain(f"{title}: calls"), bars)
    return _render(chart, f"{title}: histogram of {len(values)} calls")


def _svg(parts: list[str], label: str, width: int = W, height: int = H) -> str:
    return (f'<svg class="wr-plot" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}">' + "".join(parts) + "</svg>")


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


TREND_COLOURS = (DATA_COLOUR, "#e09a1a", MARK_COLOUR, "#6a3d9a", "#1b9e77")
MARKED_COLOUR = "#111111"  # the ring on a run that broke a gate, whatever the number of series


def trend_svg(x_labels: Sequence[str], series: dict[str, Sequence[float | None]], title: str, *,
              y_title: str = "ms", marked: Sequence[int] = (), marked_label: str = "broke a gate",
              percent: bool = False) -> str:
    """Values over runs (one line per series, gaps where a run had none); runs at ``marked`` get a black ring
    on every series' point, named ``marked_label`` in the legend and the tooltips."""
    if not x_labels or not any(v is not None for values in series.values() for v in values):
        return ""
    import pygal  # on first use: see _style
    from pygal.style import Style

    fmt: Callable[[float], str] = (lambda v: f"{v:.0%}") if percent else fmt_ms
    chart = pygal.Line(title=plain(title), x_title="run", y_title=plain(y_title), x_labels=[plain(x) for x in x_labels],
                       x_label_rotation=30, allow_interruptions=True, value_formatter=fmt,
                       legend_at_bottom=True, legend_at_bottom_columns=4,
                       truncate_legend=-1,
                       **_options(style=Style(**{**STYLE_OPTIONS, "colors": (*TREND_COLOURS[:len(series)],
                                                                              MARKED_COLOUR)}), height=H + 60,
                                  show_legend=True,
                                  **({"range": (0.0, 1.0)} if percent else {})))
    for name, values in series.items():
        chart.add(plain(name), [None if v is None else {"value": v, "label": f"{name}: {fmt(v)}"} for v in values])
    if marked:
        worst = [max((v[i] for v in series.values() if v[i] is not None), default=None) for i in range(len(x_labels))]
        ring = [{"value": worst[i], "label": plain(marked_label)} if i in marked and worst[i] is not None else None
                for i in range(len(x_labels))]
        chart.add(plain(marked_label), ring, stroke=False, dots_size=7)
    return _render(chart, f"{title}: over {len(x_labels)} runs" + (f", {len(marked)} marked {marked_label}"
                                                                    if marked else ""))
