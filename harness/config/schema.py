"""One way to read a TOML file into typed data: a pydantic model per table, one error shape for every file.

Each config module declares its tables as :class:`Schema` models (unknown keys refused, no coercion: ``"yes"``
is not ``true``); :func:`load` and :func:`validate` turn every problem pydantic finds in one pass into the
project's ``file: key 'table.key': problem`` lines, raised as the caller's :class:`~harness.errors.ConfigError`
kind. A rule across keys is a model validator raising :class:`KeyedError`, which names the key it is about
(relative to the model), so a cross-field mistake points at the key to change, not at the table. The simulator
has its own twin (it must not import the harness).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Tag, ValidationError

from harness.config.toml_file import read_toml
from harness.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

# Union branches are tagged with a leading "@" so that error keys can leave them out.
_TABLE, _LIST = "@table", "@list"
_KINDS = {"string_type": "a string", "int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
          "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
          "list_type": "an array", "tuple_type": "an array", "int_from_float": "a whole number"}


class Schema(BaseModel):
    """Base of every config table: strict types, unknown keys refused, immutable once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class KeyedError(ValueError):
    """A problem found by a validator, about ``key`` (dotted, relative to the model that raised it)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key


def one_of(*choices: str) -> AfterValidator:
    """A string limited to ``choices``, refused as ``'x' is not one of 'a', 'b'``."""
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(map(repr, choices))}")
        return value
    return AfterValidator(check)


def matching(rule: Callable[[Any], bool], hint: str) -> AfterValidator:
    """A value ``rule`` accepts, refused as ``'x' is not valid: hint``."""
    def check(value: Any) -> Any:
        if not rule(value):
            raise ValueError(f"{value!r} is not valid: {hint}")
        return value
    return AfterValidator(check)


def compiled(value: str) -> str:
    """A regex that compiles (kept as text; the model compiles it once)."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regex: {exc}") from None
    return value


Regex = Annotated[str, AfterValidator(compiled)]


def one_or_many(kind: Any) -> Any:
    """A table, or an array of tables giving alternatives (``x = {...}`` or ``x = [{...}, {...}]``).

    Tagged, so a mistake is reported once, for the shape written, under the key a reader sees."""
    return Annotated[Union[Annotated[kind, Tag(_TABLE)], Annotated[list[kind], Tag(_LIST)]],  # noqa: UP007
                     Discriminator(lambda v: _LIST if isinstance(v, list) else _TABLE)]


def as_tuple(value: T | list[T] | tuple[T, ...] | None) -> tuple[T, ...]:
    """The alternatives of a :func:`one_or_many` value."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def key_of(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """``('patterns', 'voip_event', 1, 'regex')`` → ``patterns.voip_event[1].regex``."""
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith("@"))]
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
    return f"{prefix}.{key}".strip(".") if prefix else key or "<root>"


def problems_of(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Each pydantic error as (key, problem), in the words a lab engineer reads."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "value_error":
            cause = err.get("ctx", {}).get("error")
            problem = str(cause if cause is not None else err["msg"])
            if isinstance(cause, KeyedError):
                loc = (*loc, *cause.key.split("."))
        elif kind == "extra_forbidden":
            problem = "unknown key (typo?)"
        elif kind == "missing":
            problem = "is required"
        elif kind in _KINDS:
            got = err.get("input")
            shown = f"{type(got).__name__} {got!r}" if isinstance(got, (dict, list)) else repr(got)
            problem = f"must be {_KINDS[kind]}, got {shown}"
        elif kind == "too_short" and isinstance(err.get("input"), (list, tuple)):
            problem = "empty array; give at least one"
        else:
            problem = f"{err['msg']}, got {err['input']!r}" if "input" in err else err["msg"]
        out.append((key_of(loc, prefix), problem))
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
