"""The harness's layers, checked from its source with ``ast``: no import circle, dependencies pointing one way.

Only module-level imports count as edges (``TYPE_CHECKING`` blocks and function-local imports are not run
at import time), but a function-local import of a *higher* layer is still a layering breach and is refused.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "harness"

# Lower number = lower layer. A module may import its own layer and any lower one, never a higher one.
LAYERS = {
    "harness.errors": 0, "harness.redact": 0, "harness.hostclock": 0, "harness.shellquote": 0, "harness.lockfiles": 0,
    "harness.config": 1, "harness.results": 1,
    "harness.analysis": 2, "harness.device": 2, "harness.report": 2,
    "harness.capture": 3, "harness.callers": 3,
    "harness.call": 4,
    "harness.conditions": 5,
    "harness.pytest_plugin": 6, "harness.cli": 6,
}
# Folders of one layer are independent of each other, except these edges (importer, imported).
ALLOWED_SIBLINGS = {
    ("harness.config", "harness.results"),  # a gate names the record's latencies
    ("harness.capture", "harness.callers"), ("harness.callers", "harness.capture"),
}
LEAVES = 0  # the leaf modules may import each other (shellquote raises errors' InjectionError)


def _module_name(path: Path) -> str:
    parts = path.relative_to(HARNESS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, module_level_only: bool) -> set[str]:
    """Imported module names; ``module_level_only`` leaves out function bodies and ``TYPE_CHECKING`` blocks."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test) and module_level_only:
                continue  # typing only, never run
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not module_level_only:
                    visit(child, False)
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1]
                                    + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{a.name}" for a in child.names)
            visit(child, top)

    visit(tree, True)
    return {name for name in found if name.startswith("harness")}


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in HARNESS.rglob("*.py")}


def _layer(module: str) -> tuple[str, int] | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    return None


def test_every_harness_module_belongs_to_a_layer() -> None:
    orphans = [m for m in _modules() if m != "harness" and _layer(m) is None]
    assert not orphans, f"modules outside every layer folder (add them to one): {orphans}"


def test_no_import_circle_at_module_level() -> None:
    modules = _modules()
    graph = {m: {i for i in _imports(p, module_level_only=True) if i in modules and i != m}
             for m, p in modules.items()}
    # a package's __init__ importing its own submodules is how packages re-export: not a circle
    for m in graph:
        graph[m] = {i for i in graph[m] if not (i.startswith(m + ".") and modules[m].name == "__init__.py")}
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m)
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("module", sorted(_modules()))
def test_imports_point_down_the_layers(module: str) -> None:
    own = _layer(module)
    if own is None:
        return
    breaches = []
    for target in _imports(_modules()[module], module_level_only=False):
        other = _layer(target)
        if other is None or other[0] == own[0]:
            continue
        sibling = other[1] == own[1] and own[1] != LEAVES and (own[0], other[0]) not in ALLOWED_SIBLINGS
        if other[1] > own[1] or sibling:
            breaches.append(target)
    assert not breaches, f"{module} imports from a higher or sibling layer: {sorted(set(breaches))}"
