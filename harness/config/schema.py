"""One way to read a TOML file into typed data: a pydantic model per table, one error shape for every file.

Each config module declares its tables as :class:`Schema` models (unknown keys refused, no coercion: ``"yes"``
is not ``true``); :func:`load` and :func:`validate` turn every problem pydantic finds in one pass into the
project's ``file: key 'table.key': problem`` lines, raised as the caller's :class:`~harness.errors.ConfigError`
kind. The simulator has its own twin (it must not import the harness).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.config.toml_file import read_toml
from harness.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class Schema(BaseModel):
    """Base of every config table: strict types, unknown keys refused, immutable once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def key_of(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """``('patterns', 'voip_event', 1, 'regex')`` → ``patterns.voip_event[1].regex``."""
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return f"{prefix}.{key}".strip(".") if prefix else key or "<root>"


def problems_of(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Each pydantic error as (key, problem), in the words a lab engineer reads."""
    out = []
    for err in exc.errors(include_url=False):
        if err["type"] == "value_error":
            problem = str(err.get("ctx", {}).get("error", err["msg"]))
        elif err["type"] == "extra_forbidden":
            problem = "unknown key (typo?)"
        elif err["type"] == "missing":
            problem = "is required"
        else:
            problem = f"{err['msg']}, got {err['input']!r}" if "input" in err else err["msg"]
        out.append((key_of(tuple(err["loc"]), prefix), problem))
    return out


def validate(data: Any, model: type[M], source: str, error: type[ConfigError], *, prefix: str = "",
             context: dict[str, Any] | None = None) -> M:
    """``data`` as ``model``, or ``error`` listing every problem (``prefix`` names where ``data`` sits)."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = problems_of(exc, prefix)
        (key, problem), *more = problems
        raise error(source, key, problem, more) from None


def load(path: str | Path, model: type[M], error: type[ConfigError], *,
         context: dict[str, Any] | None = None) -> M:
    """Read and validate one TOML file."""
    return validate(read_toml(path, error), model, str(path), error, context=context)
