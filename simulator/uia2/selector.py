"""UiSelector matching over the simulated view tree, driven by uiautomator2's JSON selector.

uiautomator2 sends ``{"mask": M, "childOrSibling": [...], "childOrSiblingSelector": [...], field: value}``
where each set field also sets its bit in ``mask`` (``uiautomator2._selector.Selector``). As in
``androidx.test.uiautomator.UiSelector``, only fields whose bit is set take part; ``instance`` picks the
N-th match in depth-first order, ``index`` is the position among the parent's children, ``*Matches`` are
Java regular expressions that must match the whole value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from simulator.android.ui import UiNode
from simulator.uia2.hierarchy import shown_text
from simulator.uia2.jsonrpc import InvalidParams

MASKS: dict[str, int] = {
    "text": 0x01, "textContains": 0x02, "textMatches": 0x04, "textStartsWith": 0x08,
    "className": 0x10, "classNameMatches": 0x20,
    "description": 0x40, "descriptionContains": 0x80, "descriptionMatches": 0x0100,
    "descriptionStartsWith": 0x0200,
    "checkable": 0x0400, "checked": 0x0800, "clickable": 0x1000, "longClickable": 0x2000,
    "scrollable": 0x4000, "enabled": 0x8000, "focusable": 0x010000, "focused": 0x020000,
    "selected": 0x040000,
    "packageName": 0x080000, "packageNameMatches": 0x100000,
    "resourceId": 0x200000, "resourceIdMatches": 0x400000,
    "index": 0x800000, "instance": 0x01000000,
}

# UiSelector.toString() names, for error messages that look like the real ones.
_JAVA_NAMES = {
    "text": "TEXT", "textContains": "CONTAINS_TEXT", "textMatches": "MATCH_TEXT",
    "textStartsWith": "START_TEXT", "className": "CLASS", "classNameMatches": "CLASS_REGEX",
    "description": "DESCRIPTION", "descriptionContains": "CONTAINS_DESCRIPTION",
    "descriptionMatches": "MATCH_DESCRIPTION", "descriptionStartsWith": "START_DESCRIPTION",
    "checkable": "CHECKABLE", "checked": "CHECKED", "clickable": "CLICKABLE",
    "longClickable": "LONG_CLICKABLE", "scrollable": "SCROLLABLE", "enabled": "ENABLED",
    "focusable": "FOCUSABLE", "focused": "FOCUSED", "selected": "SELECTED", "packageName": "PACKAGE_NAME",
    "packageNameMatches": "PACKAGE_NAME_REGEX", "resourceId": "RESOURCE_ID",
    "resourceIdMatches": "RESOURCE_ID_REGEX", "index": "INDEX", "instance": "INSTANCE",
}

_BOOL_ATTRS = {
    "checkable": "checkable", "checked": "checked", "clickable": "clickable",
    "longClickable": "long_clickable", "scrollable": "scrollable", "enabled": "enabled",
    "focusable": "focusable", "focused": "focused", "selected": "selected",
}

# Field name prefix → UiNode attribute, for the string fields and their Contains/Matches/StartsWith forms.
_STRING_BASES = {"text": "text", "className": "class_name", "description": "content_desc",
                 "packageName": "package", "resourceId": "resource_id"}


@dataclass(frozen=True)
class Located:
    """A node with the context UiSelector needs: its parent and its index among the parent's children."""

    node: UiNode
    parent: Located | None
    index: int
    depth: int


def walk(root: UiNode | Located) -> Iterator[Located]:
    """Depth-first, parents first: uiautomator's ``instance`` order."""
    stack: list[Located] = [root if isinstance(root, Located) else Located(root, None, 0, 0)]
    while stack:
        here = stack.pop()
        yield here
        for i in range(len(here.node.children) - 1, -1, -1):
            stack.append(Located(here.node.children[i], here, i, here.depth + 1))


def _java_regex(pattern: str, field: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.DOTALL if "(?s)" in pattern else 0)
    except re.error as exc:
        raise InvalidParams(f"selector {field}: bad regular expression {pattern!r}: {exc}") from exc


class UiSelector:
    """One parsed selector (with its chain of child/sibling selectors)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        if not isinstance(raw, dict):
            raise InvalidParams(f"selector must be an object, got {type(raw).__name__}")
        self.raw = raw
        mask = raw.get("mask")
        if mask is None:  # tolerate hand-written selectors without a mask
            mask = sum(bit for name, bit in MASKS.items() if name in raw)
        if not isinstance(mask, int):
            raise InvalidParams(f"selector mask must be an integer, got {mask!r}")
        self.fields: dict[str, Any] = {}
        for name, bit in MASKS.items():
            if mask & bit:
                if name not in raw:
                    raise InvalidParams(f"selector mask sets {name} but the selector has no {name!r}")
                self.fields[name] = raw[name]
        self._tests = [self._compile(name, value) for name, value in self.fields.items()
                       if name != "instance"]
        self.instance: int | None = self.fields.get("instance")
        kinds = raw.get("childOrSibling") or []
        subs = raw.get("childOrSiblingSelector") or []
        if len(kinds) != len(subs):
            raise InvalidParams("childOrSibling and childOrSiblingSelector differ in length")
        self.chain: list[tuple[str, UiSelector]] = []
        for kind, sub in zip(kinds, subs, strict=False):
            if kind not in ("child", "sibling"):
                raise InvalidParams(f"childOrSibling entries are 'child' or 'sibling', got {kind!r}")
            self.chain.append((kind, UiSelector(sub)))

    def _compile(self, name: str, value: Any) -> Callable[[Located], bool]:
        if name in _BOOL_ATTRS:
            attr, want = _BOOL_ATTRS[name], bool(value)
            return lambda loc: getattr(loc.node, attr) is want
        if name == "index":
            return lambda loc: loc.index == value
        if not isinstance(value, str):
            raise InvalidParams(f"selector {name} must be a string, got {value!r}")
        base = next((b for b in _STRING_BASES if name.startswith(b)), None)
        if base is None:  # pragma: no cover - MASKS and _STRING_BASES cover every string field
            raise InvalidParams(f"unsupported selector field {name}")
        attr = _STRING_BASES[base]
        get: Callable[[UiNode], str] = shown_text if attr == "text" else attrgetter(attr)
        if name.endswith("Contains"):
            return lambda loc: value in get(loc.node)
        if name.endswith("StartsWith"):
            return lambda loc: get(loc.node).startswith(value)
        if name.endswith("Matches"):
            pattern = _java_regex(value, name)
            return lambda loc: pattern.fullmatch(get(loc.node)) is not None
        return lambda loc: get(loc.node) == value

    def matches(self, loc: Located) -> bool:
        return all(test(loc) for test in self._tests)

    def _pick(self, found: list[Located]) -> list[Located]:
        if self.instance is None:
            return found
        return found[self.instance:self.instance + 1] if 0 <= self.instance < len(found) else []

    def find_all(self, root: UiNode) -> list[Located]:
        """Every node the full selector (including child/sibling steps) designates, in document order."""
        current = self._pick([loc for loc in walk(root) if self.matches(loc)])
        for kind, sub in self.chain:
            found: list[Located] = []
            seen: set[int] = set()
            for anchor in current:
                scope = anchor if kind == "child" else anchor.parent
                if scope is None:
                    continue
                for loc in _descendants(scope):
                    if id(loc.node) not in seen and (kind == "child" or loc.node is not anchor.node) \
                            and sub.matches(loc):
                        seen.add(id(loc.node))
                        found.append(loc)
            current = sub._pick(found)
        return current

    def find(self, root: UiNode) -> Located | None:
        found = self.find_all(root)
        return found[0] if found else None

    def count(self, root: UiNode) -> int:
        """Matches ignoring ``instance`` (what ``UiCollection``/``count`` reports)."""
        if self.instance is None:
            return len(self.find_all(root))
        saved, self.instance = self.instance, None
        try:
            return len(self.find_all(root))
        finally:
            self.instance = saved

    def __str__(self) -> str:
        parts = [f"{_JAVA_NAMES[name]}={value}" for name, value in self.fields.items()]
        text = "UiSelector[" + ", ".join(parts) + "]"
        for kind, sub in self.chain:
            text += f".{'childSelector' if kind == 'child' else 'fromParent'}({sub})"
        return text


def _descendants(scope: Located) -> Iterator[Located]:
    for loc in walk(scope):
        if loc is not scope:
            yield loc
