"""HTML renderers over :class:`~harness.report.model.RunReport`: the run summary, one call's evidence, a page.

The same fragments go into pytest-html's summary section and extras (:mod:`harness.report.pytest_html`) and
into the standalone page of ``wmpf-hil report``, so both look alike. Everything a device, a log or a results
file provides passes through :func:`~harness.report.svg.esc` (redacted, then escaped): a device named
``<script>...`` shows as text. No script, no external resource: the output works offline, in one file.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from harness.report.field import field_html
from harness.report.model import CallView, LatencyStats, RunReport
from harness.report.svg import cdf_svg, esc, histogram_svg, waterfall_svg
from harness.results.stats import PERCENTILES

if TYPE_CHECKING:
    from harness.report.verdict import Verdict

THUMBNAIL_WIDTH = 360

STYLE = """
.wr{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,"WenQuanYi Micro Hei",sans-serif;color:#222;
font-size:13px;margin:8px 0}
.wr-incomplete{background:#fde8e8;border:2px solid #c0392b;color:#7b1d14;padding:6px 10px;margin:6px 0}
.wr h2,.wr h3{margin:14px 0 6px}
.wr table{border-collapse:collapse;margin:4px 0 10px}
.wr th,.wr td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
.wr th{background:#f1f3f6}
.wr td.num{text-align:right;font-variant-numeric:tabular-nums}
.wr .wr-counts span{display:inline-block;margin-right:14px;font-size:15px}
.wr .passed{color:#18794e}.wr .failed{color:#c62828}.wr .lab_error{color:#b26a00}
.wr .wr-plots{display:flex;flex-wrap:wrap;gap:8px}
.wr .wr-plot{background:#fff;border:1px solid #ddd}
.wr .wr-plot-title{font-size:12px;font-weight:600;fill:#222}
.wr .wr-tick{font-size:10px;fill:#555}
.wr .wr-axis{stroke:#444;stroke-width:1}
.wr .wr-grid{stroke:#e4e4e4;stroke-width:1}
.wr pre.wr-log{background:#f7f7f7;border:1px solid #ddd;padding:6px;max-height:320px;overflow:auto;font-size:11px;
white-space:pre-wrap}
.wr .wr-shots{display:flex;gap:10px;flex-wrap:wrap}
.wr .wr-shots figure{margin:0}
.wr .wr-shots img{border:1px solid #bbb;display:block}
.wr details.wr-call{border-top:1px solid #ddd;padding:4px 0}
.wr details.wr-call>summary{cursor:pointer}
.wr .wr-missed{color:#c62828;font-weight:600}
"""


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


def _pm(value: float, bound: float) -> str:
    return f"{value:.1f} <small>±{bound:.3g}</small>"


def run_state_html(report: RunReport) -> str:
    """First lines of the report: INCOMPLETE with its reasons, and what kind of run this was."""
    out = ""
    if report.incomplete:
        items = "".join(f"<li>{esc(r)}</li>" for r in report.incomplete)
        out += f'<div class="wr-incomplete"><b>INCOMPLETE</b><ul>{items}</ul></div>'
    if report.kinds:
        out += f'<p class="wr-kind">run: {esc(", ".join(report.kinds))}</p>'
    return out


def counts_html(report: RunReport) -> str:
    parts = [f'<span><b>{len(report.calls)}</b> calls</span>',
             f'<span class="passed"><b>{report.passed}</b> passed</span>',
             f'<span class="failed"><b>{report.product_failures}</b> failed</span>',
             f'<span class="lab_error"><b>{report.lab_errors}</b> lab_error</span>']
    if report.expected_failures:
        parts.append(f"<span>{report.expected_failures} expected failures (the marked calls of failure-proof "
                     f"scenarios)</span>")
    stages = ", ".join(f"{esc(k)} {v}" for k, v in sorted(report.stages.items()))
    offset = report.offset_bound_ms
    lines = ['<div class="wr-counts">' + "".join(parts) + "</div>"]
    if stages:
        lines.append(f"<p>failure stages: {stages}</p>")
    if report.shards:
        lines.append("<p>shards: " + ", ".join(f"{esc(shard or '-')} on {esc(host or '-')} ({n} calls)"
                                               for shard, host, n in report.shards) + "</p>")
    if report.retried:
        lines.append(f"<p>{len(report.retried)} attempt(s) ended in a lab error and were run again (--lab-reruns): "
                     + ", ".join(esc(v.call_id) for v in report.retried) + "</p>")
    if report.flaky:
        lines.append("<p class='failed'>flaky (passed and failed on one model and build): "
                     + "; ".join(f"{esc(t)} on {esc(m)} ({esc(b)})" for t, m, b in report.flaky) + "</p>")
    if offset is not None:
        lines.append(f"<p>clock offset bound (worst call): ±{offset:.3f} ms; each figure below carries its own bound"
                     f" (the call that had it)</p>")
    return "".join(lines)


def latency_table_html(latencies: dict[str, LatencyStats]) -> str:
    if not latencies:
        return "<p>No passed call measured a latency.</p>"
    head = "".join(f"<th>p{p} (ms)</th>" for p in PERCENTILES)
    rows = []
    for name, st in latencies.items():
        cells = "".join(f'<td class="num" title="call {esc(st.percentiles[p].call)}">'
                        f"{_pm(st.percentiles[p].ms, st.percentiles[p].bound_ms)}</td>" for p in PERCENTILES)
        rows.append(f"<tr><td>{esc(name)}</td><td class='num'>{st.n}</td>{cells}"
                    f"<td class='num'>{st.max_ms:.1f}</td><td class='num'>±{st.max_bound_ms:.3g}</td></tr>")
    return (f'<table class="wr-latencies"><tr><th>latency</th><th>n</th>{head}<th>max (ms)</th>'
            f"<th>widest bound (ms)</th></tr>{''.join(rows)}</table>")


def plots_html(latencies: dict[str, LatencyStats]) -> str:
    blocks = []
    for name, st in latencies.items():
        marks = {f"p{p}": st.percentiles[p].ms for p in PERCENTILES}
        blocks.append(cdf_svg(st.samples, f"{name} CDF (n={st.n})", marks))
        blocks.append(histogram_svg(st.samples, f"{name} histogram"))
    return '<div class="wr-plots">' + "".join(blocks) + "</div>" if blocks else ""


def devices_html(report: RunReport) -> str:
    keys = sorted({k for d in report.devices for k in d.details})
    head = "".join(f"<th>{esc(k)}</th>" for k in keys)
    rows = "".join(f"<tr><td>{esc(d.serial)}</td><td>{esc(d.model)}</td><td class='num'>{d.calls}</td>"
                   + "".join(f"<td>{esc(d.details.get(k, ''))}</td>" for k in keys) + "</tr>"
                   for d in report.devices)
    return f'<table class="wr-devices"><tr><th>serial</th><th>model</th><th>calls</th>{head}</tr>{rows}</table>'


def failures_html(report: RunReport) -> str:
    bad = [v for v in report.calls if v.record.outcome.value != "passed"]
    if not bad:
        return ""
    rows = "".join(f'<tr><td><a href="#{_anchor(v)}">{esc(v.call_id)}</a></td><td>{esc(v.record.scenario)}</td>'
                   f'<td class="{esc(v.record.outcome.value)}">{esc(v.outcome_stage)}'
                   f"{' (expected)' if v.expected_failure else ''}</td><td>{esc(v.record.error or '')}</td></tr>"
                   for v in bad)
    return ("<h3>Failed calls and lab errors</h3><table><tr><th>call</th><th>scenario</th><th>outcome</th>"
            f"<th>error</th></tr>{rows}</table>")


def verdict_html(verdict: Verdict | None) -> str:
    if verdict is None:
        return ""
    rows = []
    for g in verdict.gates:
        cls = "" if g.passed else ' class="wr-missed"'
        actual = "-" if g.actual is None else f"{g.actual:g}"
        rows.append(f"<tr{cls}><td>{esc(g.gate)}</td><td class='num'>{g.limit:g}</td><td class='num'>{actual}</td>"
                    f"<td>{esc(g.describe())}</td></tr>")
    for r in verdict.regressions:
        cls = "" if not r.regressed else ' class="wr-missed"'
        rows.append(f"<tr{cls}><td>{esc(r.latency)} {esc(r.stat)} vs baseline</td><td class='num'>"
                    f"{r.baseline_ms:g}</td><td class='num'>{r.current_ms:g}</td><td>{esc(r.describe())}</td></tr>")
    status = ('<p class="wr-missed">GATES FAILED</p>' if verdict.failed else '<p class="passed">gates passed</p>')
    base = f" — baseline {esc(verdict.baseline_source)}" if verdict.baseline_source else ""
    return (f"<h3>Gates: {esc(verdict.source)}{base}</h3>{status}<table><tr><th>gate</th><th>limit</th>"
            f"<th>actual</th><th>result</th></tr>{''.join(rows)}</table>")


def summary_html(report: RunReport, verdict: Verdict | None = None) -> str:
    """The run summary: counts, gates, latency table and plots, devices, failures (the report's first screen)."""
    sources = "".join(f"<li>{esc(s)}</li>" for s in report.sources)
    return (f'<style>{STYLE}</style><section class="wr wr-summary"><h2>{esc(report.title)}</h2>'
            + run_state_html(report) + counts_html(report) + verdict_html(verdict)
            + "<h3>Latencies (passed calls)</h3>" + latency_table_html(report.latencies)
            + plots_html(report.latencies)
            + field_html(report)
            + "<h3>Devices</h3>" + devices_html(report) + failures_html(report)
            + (f"<h3>Results files</h3><ul>{sources}</ul>" if sources else "") + "</section>")


def _anchor(view: CallView) -> str:
    return "call-" + "".join(c if c.isalnum() else "-" for c in view.call_id)


def _link(path: Path, relative_to: Path | None) -> str:
    if relative_to is None:
        return path.as_uri() if path.is_absolute() else str(path)
    try:
        return Path(os.path.relpath(path.resolve(), relative_to.resolve())).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def capture_html(view: CallView, link_base: Path | None) -> str:
    ev = view.evidence
    if not ev.capture and not ev.media:
        return ""
    rows = []
    if ev.capture:
        c = ev.capture
        state = "captured" if c.get("available") else f"no capture: {c.get('reason') or ''} {c.get('message') or ''}"
        rows.append(f"<tr><th>capture</th><td>{esc(c.get('mode', ''))}: {esc(state)} ({esc(c.get('bytes', 0))} bytes)"
                    + (f' — <a href="{esc(_link(ev.pcap, link_base))}">{esc(ev.pcap.name)}</a>' if ev.pcap else "")
                    + (f"<br>analysis error: {esc(c['analysis_error'])}" if c.get("analysis_error") else "")
                    + "</td></tr>")
    m = ev.media
    if m:
        rows.append(f"<tr><th>media verdict</th><td>{esc(m.get('verdict', ''))}"
                    + (f" — {esc(m.get('reason'))}" if m.get("reason") else "") + "</td></tr>")
        for direction in ("sent", "received"):
            d = m.get(direction) or {}
            if d:
                shown = ", ".join(f"{esc(k)} {esc(v)}" for k, v in d.items() if not isinstance(v, (dict, list)))
                rows.append(f"<tr><th>{direction}</th><td>{shown}</td></tr>")
    return "<h4>Capture</h4><table>" + "".join(rows) + "</table>"


def call_html(view: CallView, *, images: bool = True, link_base: Path | None = None,
              thumbs: dict[Path, str | None] | None = None) -> str:
    """One call: outcome, waterfall, capture summary, logcat around a failure, screenshots (``images``)."""
    r = view.record
    steps = [(s.label, s.at_ms, s.bound_ms) for s in view.steps]
    where = ", ".join(f"{k} {r.extra[k]}" for k in ("shard", "host", "attempt") if r.extra.get(k) not in (None, ""))
    parts = [f"<p><b>{esc(r.scenario)}</b> on {esc(r.serial)} ({esc(r.model)}), room {esc(r.room_id or '-')}"
             + (f" [{esc(where)}]" if where else "") + ": "
             f'<span class="{esc(r.outcome.value)}">{esc(view.outcome_stage)}</span>'
             + (f" — {esc(r.error)}" if r.error else "") + "</p>"]
    if steps:
        parts.append(waterfall_svg(steps, "waterfall (ms after the push)"))
    if r.latencies:
        parts.append("<table><tr><th>latency</th><th>ms</th></tr>" + "".join(
            f"<tr><td>{esc(k)}</td><td class='num'>{_pm(f.ms, f.bound_ms)}</td></tr>" for k, f in r.latencies.items())
            + "</table>")
    parts.append(capture_html(view, link_base))
    if images:
        parts.append(screenshots_html(view, thumbs))
    if view.evidence.logcat:
        parts.append("<h4>Logcat around the failure</h4><pre class='wr-log'>"
                     + "\n".join(esc(line) for line in view.evidence.logcat) + "</pre>")
    if view.evidence.notes:
        parts.append("<p>" + "<br>".join(esc(n) for n in view.evidence.notes) + "</p>")
    if r.retries:
        parts.append(f"<p>lab retries: {r.retries}: " + "; ".join(esc(x) for x in r.retry_log) + "</p>")
    return f'<div class="wr wr-call-body">{"".join(parts)}</div>'


def screenshots_html(view: CallView, thumbs: dict[Path, str | None] | None = None) -> str:
    shots = []
    for label, path in (("at ring", view.evidence.ring_screenshot), ("at failure", view.evidence.failure_screenshot)):
        uri = thumbs[path] if thumbs is not None and path in thumbs else image_data_uri(path)
        if uri:
            shots.append(f'<figure><img class="wr-shot" alt="screenshot {label}" src="{uri}">'
                         f"<figcaption>screenshot {label}</figcaption></figure>")
    return '<div class="wr-shots">' + "".join(shots) + "</div>" if shots else ""


def page_html(report: RunReport, verdict: Verdict | None = None, *, out_path: Path | None = None) -> str:
    """A standalone report page (``wmpf-hil report``): the summary, then every call (failures open)."""
    calls = []
    thumbs = thumbnails([p for v in report.calls for p in (v.evidence.ring_screenshot, v.evidence.failure_screenshot)
                         if p is not None])
    for view in report.calls:
        is_open = " open" if view.record.outcome.value != "passed" else ""
        calls.append(f'<details class="wr-call" id="{_anchor(view)}"{is_open}><summary>{esc(view.call_id)} — '
                     f'{esc(view.record.scenario)} — <span class="{esc(view.record.outcome.value)}">'
                     f"{esc(view.outcome_stage)}</span></summary>"
                     f"{call_html(view, link_base=out_path.parent if out_path else None, thumbs=thumbs)}</details>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{esc(report.title)}</title><link rel='icon' href='data:,'></head><body>"
            + summary_html(report, verdict)
            + f'<section class="wr wr-calls"><h2>Calls ({len(report.calls)})</h2>{"".join(calls)}</section>'
            + "</body></html>")
