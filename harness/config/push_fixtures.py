"""Push messages kept as data (``fixtures/pushes/``): malformed pushes and caller names every build must survive.

Scenarios read them here so a lab adds a case by adding a file; a missing directory or a malformed entry is a
:class:`~harness.errors.PushMessageError` naming the file and the key. See ``fixtures/pushes/README.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import field_validator, model_validator

from harness.config.locations import FIXTURES_DIR
from harness.config.schema import KeyedError, Schema, load, matching
from harness.errors import PushMessageError

PUSHES_DIR = FIXTURES_DIR / "pushes"
CANARY_MARK = "{canary}"


class Caller(Schema):
    """A caller name to show intact; ``{canary}`` in it stands for a device path that must never be created."""

    id: Annotated[str, matching(str.isidentifier, "expected an identifier")]
    name: Annotated[str, matching(lambda s: bool(s.strip()), "expected non-empty text"),
                    matching(lambda s: "\x00" not in s, "must not contain NUL (no shell can carry it)")]

    def with_canary(self, canary: str) -> str:
        return self.name.replace(CANARY_MARK, canary)


class CallersFile(Schema):
    """``fixtures/pushes/callers.toml``: one ``[[caller]]`` table per name, ids unique."""

    caller: list[Caller]

    @field_validator("caller", mode="before")
    @classmethod
    def _tables(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise ValueError("expected one or more [[caller]] tables")
        return value

    @model_validator(mode="after")
    def _unique(self) -> CallersFile:
        seen: set[str] = set()
        for index, caller in enumerate(self.caller):
            if caller.id in seen:
                raise KeyedError(f"caller[{index}].id", f"duplicate id {caller.id!r}")
            seen.add(caller.id)
        return self


def malformed_pushes(directory: Path | None = None) -> dict[str, str]:
    """``{file stem: the file's text}`` for every file in ``fixtures/pushes/malformed`` (sorted by name)."""
    folder = directory or PUSHES_DIR / "malformed"
    if not folder.is_dir():
        raise PushMessageError(str(folder), "<directory>", "not found: the malformed push fixtures are missing")
    pushes: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".json", ".txt") or not path.is_file():
            continue
        try:
            pushes[path.stem] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise PushMessageError(str(path), "<content>", f"not UTF-8 text: {exc}") from None
    if not pushes:
        raise PushMessageError(str(folder), "<directory>", "holds no .json or .txt push")
    return pushes


def callers(path: Path | None = None) -> list[Caller]:
    """The ``[[caller]]`` tables of ``fixtures/pushes/callers.toml``: ids unique, names non-empty text."""
    source = path or PUSHES_DIR / "callers.toml"
    return list(load(source, CallersFile, PushMessageError).caller)
