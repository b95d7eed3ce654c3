"""The one jinja2 environment every HTML fragment of the report is rendered with.

Values from devices, logs and results files go into templates raw; the environment makes them safe, in one
place instead of at each interpolation: ``finalize`` redacts every ``{{ value }}`` (:func:`~harness.redact.
redact_text`: a pushToken never reaches a page), then autoescape (on for ``*.html.j2``) escapes it, so a device
named ``<script>...`` shows as text. ``StrictUndefined`` turns a misspelt name in a template into an error
instead of an empty cell.

The only trusted input is :func:`trusted`: SVG drawn by :mod:`harness.report.svg` (which escapes its own text,
or lets pygal do so) and screenshot data URIs made here from Pillow's bytes. Fragments handed to pytest-html
(summary, extras, table cells) come from this same environment: pytest-html marks them safe and its
``app.js`` injects them, so this escaping is the only escaping they get.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from harness.redact import redact_text

if TYPE_CHECKING:
    from harness.report.model import CallView


def _finalize(value: object) -> object:
    """Every printed value: trusted markup as is, anything else redacted (escaping follows)."""
    if isinstance(value, Markup):
        return value
    return redact_text("" if value is None else str(value))


def anchor(view: CallView) -> str:
    """The HTML id of a call's section (letters and digits kept, the rest ``-``)."""
    return "call-" + "".join(c if c.isalnum() else "-" for c in view.call_id)


@functools.cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("harness.report"), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
                      finalize=_finalize, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["anchor"] = anchor
    return env


def render(template: str, **context: Any) -> Markup:
    """``template`` rendered with ``context``: markup, safe to nest in another template."""
    return Markup(environment().get_template(template).render(**context))


def macro(template: str, name: str) -> Any:
    """A macro of ``template`` as a Python callable returning markup (pytest-html's table cells)."""
    return getattr(environment().get_template(template).module, name)


def trusted(markup: str) -> Markup:
    """Markup we generated ourselves (SVG plots, screenshot data URIs): the one door around escaping."""
    return Markup(markup)
