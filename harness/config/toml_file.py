"""Reading the harness's TOML files (app profiles, gates, push fixtures) with one error shape.

A file that cannot be read or is not TOML is a :class:`~harness.errors.ConfigError` of the caller's kind naming
the file, so every loader reports the same way and none repeats the ``tomllib`` / ``tomli`` switch.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def read_toml(path: str | Path, error: type[ConfigError], *, key: str = "<file>") -> dict[str, Any]:
    """The parsed file; ``error(file, key, problem)`` if it cannot be read, is not UTF-8 or not TOML."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise error(source, key, f"cannot read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(source, key, f"not valid TOML: {exc}") from None
