"""Reading a TOML file and validating its tables into typed models, with the project's ``file: key: problem`` errors.

Every table of a device profile (``[device]``, ``[wmpf]``, ``[timing]``, ``[media]``...) is a pydantic model
declared next to the code that uses it, deriving from :class:`Schema`. :func:`validate` is the one boundary
where pydantic's :class:`~pydantic.ValidationError` becomes the simulator's :class:`~simulator.errors.ProfileError`:
it collects *every* problem of the table in one pass, one ``file: key 'dotted.key': problem`` line each, so a lab
engineer fixes a fixture in one go. The simulator must not import the harness, so this is the simulator's own
copy of that boundary (the harness has its own).

``strict`` matters: without it pydantic takes ``"yes"`` for ``true`` and ``true`` for ``1.0``, which a typo in
a fixture should not get away with. An integer is still accepted where a float is expected.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, TypeAdapter, ValidationError

from simulator.errors import ProfileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

M = TypeVar("M", bound=BaseModel)
UNKNOWN_KEY = "unknown key (check the spelling; see fixtures/devices/README.md)"


class Schema(BaseModel):
    """A profile table: unknown keys refused, no type coercion (an int is still a float), values frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Invalid(ValueError):
    """A check's failure naming keys *below* the value it checked (a table's entry, a model validator's field).

    ``problems`` are ``(relative key, problem)`` pairs: ``("ro.product.model", "is required but missing")`` raised
    by the validator of ``properties`` reports key ``properties.ro.product.model``; ``("[2].name", ...)`` raised
    for ``packages`` reports ``packages[2].name``.
    """

    def __init__(self, *problems: tuple[str, str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{key}: {problem}" for key, problem in self.problems))


def check(predicate: Callable[[Any], bool], hint: str) -> AfterValidator:
    """A field check after the type check, failing as ``expected <hint>, got <value>``."""

    def run(value: Any) -> Any:
        if not predicate(value):
            raise ValueError(f"expected {hint}, got {value!r}")
        return value

    return AfterValidator(run)


def read_toml(path: str | Path, error_cls: type[ProfileError] = ProfileError) -> dict[str, Any]:
    """The parsed file; ``error_cls(file, "<file>", problem)`` if it cannot be read, is not UTF-8 or not TOML."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise error_cls(source, "<file>", f"cannot read the profile: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise error_cls(source, "<file>", f"not UTF-8 text ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise error_cls(source, "<file>", f"not valid TOML: {exc}") from None


def load(path: str | Path, model: type[M], error_cls: type[ProfileError] = ProfileError) -> M:
    """Read the TOML file at ``path`` and validate it as ``model``."""
    return validate(read_toml(path, error_cls), model, str(path), error_cls)


def validate(data: Any, model: type[M], source: str, error_cls: type[ProfileError] = ProfileError, *,
             key: str = "", unknown: str = UNKNOWN_KEY) -> M:
    """``data`` as ``model``, or ``error_cls`` listing every problem; ``key`` is where ``data`` sits in the file.

    ``unknown`` is the problem reported for an unknown key of the table itself (nested tables keep the general
    wording), for tables whose keys are a registry such as ``[timing]``'s steps.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(exc, source, error_cls, key=key, unknown=unknown) from None


def validate_as(adapter: TypeAdapter[Any], data: Any, source: str, error_cls: type[ProfileError] = ProfileError, *,
                key: str = "") -> Any:
    """Like :func:`validate` for a value that is not a table (a number or a table, say)."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise error(exc, source, error_cls, key=key) from None


def error(exc: ValidationError, source: str, error_cls: type[ProfileError] = ProfileError, *, key: str = "",
          unknown: str = UNKNOWN_KEY) -> ProfileError:
    """The project's error for pydantic's: one ``(key, problem)`` per problem, in the order pydantic found them."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        where = _join(key, "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip("."))
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, Invalid):
            problems.extend((_join(where, sub), problem) for sub, problem in cause.problems)
        elif err["type"] == "value_error":
            problems.append((where, str(cause)))
        elif err["type"] == "extra_forbidden":
            problems.append((where, unknown if len(loc) == 1 else UNKNOWN_KEY))
        else:
            problems.append((where, _problem(err)))
    first, *more = problems or [(key, str(exc))]
    return error_cls(source, *first, more=more)


def _join(key: str, sub: str) -> str:
    if not key or not sub:
        return key or sub
    return key + sub if sub.startswith("[") else f"{key}.{sub}"


def _problem(err: Any) -> str:
    """A type error in the fixtures' wording: what was expected, and what the file has instead."""
    kind = err["type"]
    if kind == "missing":
        return "is required but missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        expected = "expected a table"
    elif kind in ("list_type", "tuple_type"):
        expected = "expected an array"
    else:
        msg = err["msg"]
        expected = "expected " + msg[len("Input should be "):] if msg.startswith("Input should be ") else msg
    return f"{expected}, got {_describe(err['input'])}"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"{type(value).__name__} {value!r}"
