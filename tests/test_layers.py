"""The shape stays: every module imports only the layers below it, and nothing imports in a circle.

Imports are read from the source (``ast``), including those inside functions and under
``TYPE_CHECKING``, so a lower layer cannot reach up even lazily.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = {"foundation", "storage", "providers", "domain", "work", "service", "runtime"}

# layer → the layers it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "foundation": set(),
    "storage": {"foundation"},
    "providers": {"foundation"},
    "domain": {"foundation", "storage"},
    "work": {"foundation", "storage", "providers", "domain"},
    "service": {"foundation", "storage", "providers", "domain", "work"},
    "runtime": {"foundation", "service"},
    "surface": CORE,  # avatar_core/__init__.py: the names the layers above may use
    "avatar_api": CORE | {"surface"},
    "avatar_ui": CORE | {"surface"},
    "app_pages": CORE | {"surface", "avatar_ui"},
    "app": CORE | {"surface", "avatar_api", "avatar_ui"},
}
# Third-party packages a layer must never import.
FORBIDDEN: dict[str, set[str]] = {
    **{layer: {"streamlit", "streamlit_autorefresh", "fastapi", "starlette"}
       for layer in CORE | {"surface"}},
    "avatar_api": {"streamlit", "streamlit_autorefresh"},
    "app_pages": {"PIL", "sqlite3", "sqlalchemy", "google", "pandas", "numpy"},
}


def product_modules() -> Iterator[tuple[str, Path]]:
    for package in ("avatar_core", "avatar_api", "avatar_ui", "app_pages"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(p for p in parts if p != "__init__"), path
    yield "app", ROOT / "app.py"


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "avatar_core":
        return parts[1] if len(parts) > 1 else "surface"
    return parts[0]


def imports_of(module: str, path: Path) -> set[str]:
    """Absolute names of everything ``path`` imports (relative imports resolved)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


MODULES = dict(product_modules())
GRAPH = {module: {name for name in imports_of(module, path) if name in MODULES} - {module}
         for module, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_only(module):
    layer = layer_of(module)
    upward = sorted(name for name in GRAPH[module]
                    if layer_of(name) != layer and layer_of(name) not in ALLOWED[layer])
    assert upward == [], f"{module} ({layer}) imports a layer above or beside it: {upward}"
    third_party = {name.split(".")[0] for name in imports_of(module, MODULES[module])}
    banned = sorted(third_party & FORBIDDEN.get(layer, set()))
    assert banned == [], f"{module} ({layer}) must not import {banned}"


def test_no_import_cycles():
    cycles = [scc for scc in _strongly_connected(GRAPH) if len(scc) > 1]
    # A package importing its own submodule (``__init__`` re-exports) is not a cycle of layers.
    cycles = [scc for scc in cycles if not _package_reexport(scc)]
    assert cycles == []


def test_the_rules_cover_every_layer():
    assert {layer_of(module) for module in MODULES} <= set(ALLOWED)


def _package_reexport(scc: set[str]) -> bool:
    return len(scc) == 2 and any(a.startswith(b + ".") for a in scc for b in scc if a != b)


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively written (no recursion limit to worry about)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_modules_and_functions_stay_small():
    """A newcomer reads a module at once and a function at a glance (~400 / ~60 lines)."""
    too_long = []
    for module, path in MODULES.items():
        source = path.read_text()
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{module}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{module}.{node.name}: {length} lines")
    assert too_long == []
