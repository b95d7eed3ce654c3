"""The pygal CDF and histogram as the report inlines them: no script, text escaped exactly once and redacted,
the data and percentile colours present, well-formed with either of pygal's XML back ends."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from pygal.etree import etree as pygal_etree

from harness.report.svg import DATA_COLOUR, MARK_COLOUR, cdf_svg, histogram_svg, waterfall_svg

SVG = "{http://www.w3.org/2000/svg}"
TOKEN = "b" * 64
NASTY = f'<script>alert("x")</script> & <img src=x onerror=alert(1)> pushToken={TOKEN}'


def samples(n: int = 500) -> list[float]:
    rng = random.Random(7)
    return [max(1.0, rng.gauss(400.0, 60.0)) for _ in range(n)]


def percentile_marks(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {f"p{p}": ordered[max(0, -(-p * len(ordered) // 100) - 1)] for p in (50, 90, 99)}


@pytest.fixture(params=["lxml", "etree"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """pygal writes through lxml when it is installed (uiautomator2 brings it), else ElementTree: both must do."""
    was_lxml = pygal_etree.lxml
    if request.param == "lxml":
        if pygal_etree._lxml_etree is None:
            pytest.skip("lxml not installed")
        pygal_etree.to_lxml()
    else:
        pygal_etree.to_etree()
    yield request.param
    if was_lxml:
        pygal_etree.to_lxml()
    else:
        pygal_etree.to_etree()


def plots(title: str) -> list[str]:
    values = samples()
    return [cdf_svg(values, title, percentile_marks(values)), histogram_svg(values, title)]


def test_plots_run_no_script_and_load_nothing(backend: str) -> None:
    for svg in plots("push_to_ring"):
        assert svg.startswith("<svg") and "<?xml" not in svg
        assert not re.search(r"<script", svg, re.IGNORECASE)
        assert "href" not in svg  # no CDN script, no web font, no style sheet link
        # only namespace names, which are never fetched
        assert set(re.findall(r"https?://[^\"' ]+", svg)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
        assert 'class="pygal-chart wr-plot"' in svg  # the report's screenshot test finds plots by this class


def test_label_text_is_redacted_and_escaped_once(backend: str) -> None:
    for svg in plots(NASTY):
        assert TOKEN not in svg and "pushToken=***" in svg
        assert "<img" not in svg and "&amp;lt;" not in svg and "&amp;amp;" not in svg
        assert "&lt;script&gt;alert(" in svg
        root = ET.fromstring(svg)  # well-formed XML: the HTML parser sees the same text
        expected = NASTY.replace(TOKEN, "***")
        assert root.find(f"{SVG}title").text == expected  # type: ignore[union-attr]
        assert root.get("aria-label", "").startswith(expected)


def test_text_xml_cannot_hold_is_dropped(backend: str) -> None:
    """A device string with a control character must not break the report (lxml refuses such text)."""
    for svg in plots("ring\x00_to\x1b[0m_answer\ufffe"):
        assert ET.fromstring(svg).find(f"{SVG}title").text == "ring_to[0m_answer"  # type: ignore[union-attr]


def test_cdf_draws_data_and_marks_in_their_colours(backend: str) -> None:
    values = samples()
    svg = cdf_svg(values, "push_to_ring CDF", percentile_marks(values))
    assert DATA_COLOUR in svg and MARK_COLOUR in svg
    root = ET.fromstring(svg)
    labels = [t.text for t in root.iter(f"{SVG}text") if "label" in (t.get("class") or "").split()]
    assert labels == ["p50", "p90", "p99"]  # printed beside the marks, and as native tooltips
    assert {"p50", "p90", "p99"} <= {t.text for t in root.iter(f"{SVG}title")}
    data_path = next(p for p in root.iter(f"{SVG}path") if (p.get("class") or "").startswith("line reactive"))
    assert len(data_path.get("d", "")) < 16_000  # coordinates rounded to 0.1 px: a 500-call CDF stays small
    assert not re.search(r"\d\.\d\d", data_path.get("d", ""))


def test_histogram_has_one_bar_per_filled_bin_with_a_tooltip(backend: str) -> None:
    values = [10.0] * 3 + [20.0] * 2 + [50.0]
    svg = histogram_svg(values, "tap_to_answer histogram", bins=5)
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if "reactive" in (r.get("class") or "")]
    assert len(bars) == 3
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "10–18 ms: 3" in titles and "18–26 ms: 2" in titles and "42–50 ms: 1" in titles


def test_empty_samples_draw_nothing_and_one_value_still_draws() -> None:
    assert cdf_svg([], "x") == "" and histogram_svg([], "x") == ""
    assert cdf_svg([5.0], "x", {"p50": 5.0}).startswith("<svg")
    assert histogram_svg([5.0, 5.0], "x").startswith("<svg")


def test_waterfall_stays_escaped() -> None:
    svg = waterfall_svg([(NASTY, 10.0, 0.3), ("ring", 400.0, 0.3)], NASTY)
    assert TOKEN not in svg and "<script" not in svg and "&lt;script&gt;" in svg and DATA_COLOUR in svg
