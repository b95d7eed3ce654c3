"""Fuzzing the loaders of the files a lab edits by hand: app profiles, caller lists (``fixtures/pushes/
callers.toml``), release gates and simulated device profiles.

Inputs start from the shipped files and go wrong in three ways: the parsed data mutated (a key dropped, a value
replaced by a random value of any TOML type, an unknown key added, a table emptied) and written back as TOML;
the text mutated (lines dropped, duplicated or cut, random characters spliced in); and random bytes (invalid
UTF-8 included). Property: each loader returns its typed result or raises its own error type with a message
naming the file — never a KeyError, TypeError, re.error or other surprise.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import simulator
from harness.config.app_profile import load_profile as load_app_profile
from harness.config.gates import load_gates
from harness.config.push_fixtures import callers
from harness.errors import ConfigError
from tests.fuzz_support import Tally, describe, fuzz_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = 800  # per loader
LOADERS: dict[str, tuple[Path, Callable[[Path], Any], tuple[type[Exception], ...]]] = {
    "app_profile": (ROOT / "fixtures/apps/wmpf-sim-tablet.toml", load_app_profile, (ConfigError,)),
    "callers": (ROOT / "fixtures/pushes/callers.toml", callers, (ConfigError,)),
    "gates": (ROOT / "fixtures/gates/default.toml", load_gates, (ConfigError,)),
    "device_profile": (ROOT / "fixtures/devices/wmpf-tablet.toml", simulator.load_profile, (simulator.ProfileError,)),
}

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
SCALARS = (TEXT | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.booleans() | st.dates() | st.datetimes()
           | st.times() | st.sampled_from(["", ".*(", "[", "(?P<x", "\\", "0", "-1", "1e999", "wx", "voice"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=10)


# -- a small TOML writer (the standard library only reads TOML) ---------------------------------------------------
def _key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are TOML basic-string escapes
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def dumps(data: dict[str, Any], prefix: str = "") -> str:
    """TOML for ``data``: scalars and inline values first, then [tables] and [[arrays of tables]]."""
    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            tables.append((key, value, False))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.append((key, value, True))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    out = "\n".join(lines) + "\n"
    for key, value, is_array in tables:
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        for table in value if is_array else [value]:
            out += f"\n[[{name}]]\n" if is_array else f"\n[{name}]\n"
            out += dumps(table, name) if not is_array else dumps({k: v for k, v in table.items()}, name)
    return out


# -- mutations ---------------------------------------------------------------------------------------------------
def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*path, index))
    return found


@st.composite
def mutated_data(draw: st.DrawFn, original: dict[str, Any]) -> str:
    data = json.loads(json.dumps(original, default=str))  # a deep copy (dates as text)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "drop", "add", "empty"]))
        if not path:
            if action == "add":
                data[draw(TEXT)] = draw(VALUES)
            continue
        last = path[-1]
        if action == "replace":
            parent[last] = draw(VALUES)
        elif action == "drop":
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(TEXT)] = draw(VALUES)
        elif action == "empty":
            parent[last] = type(parent[last])() if isinstance(parent[last], (dict, list, str)) else 0
    try:
        text = dumps(data)
        tomllib.loads(text)
    except (TypeError, ValueError, tomllib.TOMLDecodeError):  # the writer's limits (e.g. a table in a mixed array)
        text = dumps({"_": 1})
    return text


@st.composite
def mutated_text(draw: st.DrawFn, original: str) -> bytes:
    lines = original.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 5))):
        index = draw(st.integers(0, max(0, len(lines) - 1)))
        action = draw(st.sampled_from(["drop", "dup", "cut", "splice"]))
        if not lines:
            lines = [draw(TEXT)]
        elif action == "drop":
            del lines[index]
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "cut":
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        else:
            at = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:at] + draw(TEXT | st.sampled_from(['"', "'", "[", "]]", "=", "\\u12"])) \
                + lines[index][at:]
    return "".join(lines).encode("utf-8")


def inputs(path: Path) -> st.SearchStrategy[bytes]:
    original = path.read_text(encoding="utf-8")
    data = tomllib.loads(original)
    return st.one_of(mutated_data(data).map(str.encode), mutated_text(original),
                     st.binary(max_size=200), st.binary(max_size=50).map(lambda b: original.encode() + b"\xff" + b))


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_loader_gives_its_result_or_its_error(name: str, tmp_path: Path) -> None:
    fixture, load, errors = LOADERS[name]
    load(fixture)  # the shipped file loads
    target = tmp_path / fixture.name
    tally = Tally(f"config_{name}")

    @fuzz_settings(EXAMPLES, deadline_s=5)
    @given(inputs(fixture))
    def run(raw: bytes) -> None:
        target.write_bytes(raw)
        started = time.monotonic()
        try:
            load(target)
            tally.count("loaded")
        except errors as exc:
            assert str(target) in str(exc), f"the error does not name the file: {exc}"
            tally.count("refused")
        tally.timed(time.monotonic() - started, raw)

    run()
    assert tally.outcomes.get("refused", 0) > EXAMPLES // 4, tally.outcomes
    tally.require(EXAMPLES)


def test_writer_round_trips() -> None:
    data = {"a": 1, "b": "x\"y\n", "t": {"c": [1, 2.5], "d": {"e": True}}, "arr": [{"k": "v"}, {"k": "w"}]}
    assert tomllib.loads(dumps(data)) == data
    assert describe(b"\xff" * 3) == "3 bytes: b'\\xff\\xff\\xff'"
