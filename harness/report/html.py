"""The report's HTML over :class:`~harness.report.model.RunReport`: the run summary, one call's evidence, a page.

The same fragments go into pytest-html's summary section and extras (:mod:`harness.pytest_plugin.report`) and
into the standalone page of ``wmpf-hil report``, so both look alike. The markup lives in templates
(``templates/*.html.j2``) rendered by the one environment of :mod:`harness.report.render`, which redacts and
escapes every value a device, a log or a results file provides: a device named ``<script>...`` shows as text.
This module prepares what templates should not compute (plots, thumbnails, links). No script, no external
resource: the output works offline, in one file.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from harness.report.field import field_html
from harness.report.model import CallView, LatencyStats, RunReport
from harness.report.render import render, trusted
from harness.report.svg import cdf_svg, histogram_svg, waterfall_svg
from harness.results.stats import PERCENTILES

if TYPE_CHECKING:
    from harness.report.verdict import Verdict

THUMBNAIL_WIDTH = 360


def image_data_uri(path: Path | None, max_width: int = THUMBNAIL_WIDTH) -> str | None:
    """A PNG thumbnail of a screenshot as a data URI (the full image stays on disk beside the results)."""
    if path is None or not path.is_file():
        return None
    from PIL import Image  # Pillow: a project dependency; imported here to keep report imports light

    try:
        with Image.open(path) as img:
            img = img.convert("RGB")
            if img.width >= 2 * max_width:  # integer box reduction first: 10x faster than a filtered resize
                img = img.reduce(img.width // max_width)
            if img.width > max_width:
                img = img.resize((max_width, max(1, round(img.height * max_width / img.width))), Image.BILINEAR)
            out = io.BytesIO()
            img.save(out, format="PNG", compress_level=1)  # level 1: a quarter of the time, ~40 % larger
    except OSError:
        return None
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def thumbnails(paths: list[Path]) -> dict[Path, str | None]:
    """Data URIs of many screenshots at once (Pillow releases the GIL: decode and resize run on every core)."""
    from concurrent.futures import ThreadPoolExecutor

    unique = list(dict.fromkeys(paths))
    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        return dict(zip(unique, pool.map(image_data_uri, unique), strict=True))


def plots(latencies: dict[str, LatencyStats]) -> list[Markup]:
    """A CDF and a histogram of each latency (SVG: trusted markup)."""
    blocks = []
    for name, st in latencies.items():
        marks = {f"p{p}": st.percentiles[p].ms for p in PERCENTILES}
        blocks.append(trusted(cdf_svg(st.samples, f"{name} CDF (n={st.n})", marks)))
        blocks.append(trusted(histogram_svg(st.samples, f"{name} histogram")))
    return blocks


def summary_html(report: RunReport, verdict: Verdict | None = None) -> Markup:
    """The run summary: counts, gates, latency table and plots, devices, failures (the report's first screen)."""
    return render("summary.html.j2", report=report, verdict=verdict, plots=plots(report.latencies),
                  field=field_html(report),
                  device_keys=sorted({k for d in report.devices for k in d.details}), percentiles=PERCENTILES)


def _link(path: Path, relative_to: Path | None) -> str:
    if relative_to is None:
        return path.as_uri() if path.is_absolute() else str(path)
    try:
        return Path(os.path.relpath(path.resolve(), relative_to.resolve())).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def _media_rows(media: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The flat figures of each direction of a media analysis (nested tables stay in results.jsonl)."""
    rows = []
    for direction in ("sent", "received"):
        figures = media.get(direction) or {}
        if figures:
            # str(): a figure the capture could not compute shows as None, as in results.jsonl's reader
            rows.append((direction, [(k, str(v)) for k, v in figures.items() if not isinstance(v, (dict, list))]))
    return rows


def _shots(view: CallView, thumbs: dict[Path, str | None] | None) -> list[tuple[str, Markup]]:
    shots = []
    for label, path in (("at ring", view.evidence.ring_screenshot), ("at failure", view.evidence.failure_screenshot)):
        uri = thumbs[path] if thumbs is not None and path in thumbs else image_data_uri(path)
        if uri:
            shots.append((label, trusted(uri)))  # base64 of our own PNG: nothing to redact or escape
    return shots


def call_html(view: CallView, *, images: bool = True, link_base: Path | None = None,
              thumbs: dict[Path, str | None] | None = None) -> Markup:
    """One call: outcome, waterfall, capture summary, logcat around a failure, screenshots (``images``)."""
    steps = [(s.label, s.at_ms, s.bound_ms) for s in view.steps]
    pcap = view.evidence.pcap
    r = view.record
    where = ", ".join(f"{k} {r.extra[k]}" for k in ("shard", "host", "attempt") if r.extra.get(k) not in (None, ""))
    return render("call.html.j2", view=view, where=where,
                  waterfall=trusted(waterfall_svg(steps, "waterfall (ms after the push)")) if steps else "",
                  pcap_href=_link(pcap, link_base) if pcap is not None else "",
                  media_rows=_media_rows(view.evidence.media),
                  shots=_shots(view, thumbs) if images else [])


def page_html(report: RunReport, verdict: Verdict | None = None, *, out_path: Path | None = None,
              trend_href: str | None = None) -> str:
    """A standalone report page (``wmpf-hil report``): the summary, a link to the trend page when the run went
    into a history, then every call (failures open)."""
    thumbs = thumbnails([p for v in report.calls for p in (v.evidence.ring_screenshot, v.evidence.failure_screenshot)
                         if p is not None])
    link_base = out_path.parent if out_path else None
    calls = [(view, call_html(view, link_base=link_base, thumbs=thumbs)) for view in report.calls]
    return str(render("page.html.j2", report=report, summary=summary_html(report, verdict), calls=calls,
                      trend_href=trend_href))
