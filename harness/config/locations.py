"""Where the shipped fixtures (app profiles, gates, push messages) live: one place, so a move changes one line.

In a checkout (and an editable install) they are the repository's ``fixtures/``; an installed wheel carries the
same files as ``harness/fixtures`` package data (``setup.py`` maps the one onto the other).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parents[1] / "fixtures"
_CHECKOUT = Path(__file__).resolve().parents[2] / "fixtures"
FIXTURES_DIR = _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT
