"""The push fixtures scenarios read: the shipped ones load, and a broken file is named with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config.push_fixtures import callers, malformed_pushes
from harness.errors import PushMessageError


def test_shipped_fixtures_load() -> None:
    pushes = malformed_pushes()
    assert {"not_json", "json_array", "empty", "other_mini_program", "empty_appid", "oversized"} <= set(pushes)
    assert pushes["empty"] == "" and len(pushes["oversized"]) > 6000
    names = {c.id: c for c in callers()}
    assert "{canary}" in names["shell"].name
    assert "/x1" in names["shell"].with_canary("/x") and "{canary}" not in names["shell"].with_canary("/x")


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("[[caller]]\nid = 'a'\nname = 'A'\n[[caller]]\nid = 'a'\nname = 'B'\n", "caller[1].id", "duplicate id"),
    ("[[caller]]\nid = 'a b'\nname = 'A'\n", "caller[0].id", "expected an identifier"),
    ("[[caller]]\nid = 'a'\nname = ''\n", "caller[0].name", "non-empty"),
    ("[[caller]]\nid = 'a'\nname = 'A'\ncolour = 1\n", "caller[0].colour", "unknown key"),
    ("caller = 1\n", "caller", "[[caller]] tables"),
    ("[[caller]\n", "<file>", "not valid TOML"),
])
def test_a_broken_callers_file_names_file_and_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = tmp_path / "callers.toml"
    path.write_text(text)
    with pytest.raises(PushMessageError) as info:
        callers(path)
    assert info.value.key == key and problem in info.value.problem and str(path) in str(info.value)


def test_a_missing_or_empty_malformed_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PushMessageError, match="not found"):
        malformed_pushes(tmp_path / "nope")
    with pytest.raises(PushMessageError, match="holds no"):
        malformed_pushes(tmp_path)
