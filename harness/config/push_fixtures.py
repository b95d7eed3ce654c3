"""Push messages kept as data (``fixtures/pushes/``): malformed pushes and caller names every build must survive.

Scenarios read them here so a lab adds a case by adding a file; a missing directory or a malformed entry is a
:class:`~harness.errors.PushMessageError` naming the file and the key. See ``fixtures/pushes/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.config.locations import FIXTURES_DIR
from harness.config.toml_file import read_toml
from harness.errors import PushMessageError

PUSHES_DIR = FIXTURES_DIR / "pushes"
CANARY_MARK = "{canary}"


@dataclass(frozen=True)
class Caller:
    """A caller name to show intact; ``{canary}`` in it stands for a device path that must never be created."""

    id: str
    name: str

    def with_canary(self, canary: str) -> str:
        return self.name.replace(CANARY_MARK, canary)


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
    data = read_toml(source, PushMessageError)
    tables = data.get("caller")
    if not isinstance(tables, list) or not tables:
        raise PushMessageError(str(source), "caller", "expected one or more [[caller]] tables")
    found: list[Caller] = []
    for index, table in enumerate(tables):
        key = f"caller[{index}]"
        if not isinstance(table, dict):
            raise PushMessageError(str(source), key, f"expected a table with id and name, got {table!r}")
        unknown = set(table) - {"id", "name"}
        if unknown:
            raise PushMessageError(str(source), f"{key}.{sorted(unknown)[0]}", "unknown key; known: id, name")
        caller_id, name = table.get("id"), table.get("name")
        if not isinstance(caller_id, str) or not caller_id.isidentifier():
            raise PushMessageError(str(source), f"{key}.id", f"expected an identifier, got {caller_id!r}")
        if not isinstance(name, str) or not name.strip():
            raise PushMessageError(str(source), f"{key}.name", f"expected non-empty text, got {name!r}")
        if "\x00" in name:
            raise PushMessageError(str(source), f"{key}.name", "must not contain NUL (no shell can carry it)")
        if any(c.id == caller_id for c in found):
            raise PushMessageError(str(source), f"{key}.id", f"duplicate id {caller_id!r}")
        found.append(Caller(caller_id, name))
    return found
