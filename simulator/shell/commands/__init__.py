"""Device commands. Every module in this package registers its commands on import (see ``api.command``)."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import every command module once, so ``COMMANDS`` is complete."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


load_all()
