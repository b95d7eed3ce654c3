"""Where the shipped fixtures (app profiles, gates, push messages) live: one place, so a move changes one line."""

from __future__ import annotations

from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
