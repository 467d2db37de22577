"""The UI and the API use avatar_core only through its public surface (``avatar_core.__all__``).

Read from the source like ``test_layers.py``: every import of the core in ``avatar_ui``,
``avatar_api``, ``app_pages`` and ``app.py`` is ``from avatar_core import <public name>``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import avatar_core

ROOT = Path(__file__).resolve().parent.parent
OUTER = sorted([*(p for package in ("avatar_ui", "avatar_api", "app_pages")
                  for p in (ROOT / package).rglob("*.py")), ROOT / "app.py"])


def core_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every import of avatar_core in ``path``; name is "" for ``import``."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("avatar_core"):
            found.extend((node.module or "", alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, "") for alias in node.names
                         if alias.name.startswith("avatar_core"))
    return found


@pytest.mark.parametrize("path", OUTER, ids=lambda p: str(p.relative_to(ROOT)))
def test_outer_layers_import_only_public_names(path: Path) -> None:
    wrong = [f"{module} {name}".strip() for module, name in core_imports(path)
             if module != "avatar_core" or name not in avatar_core.__all__]
    assert wrong == [], f"{path.name} reaches past avatar_core's public names: {wrong}"


def test_every_public_name_exists_and_is_used() -> None:
    assert all(hasattr(avatar_core, name) for name in avatar_core.__all__)
    used = {name for path in OUTER for _, name in core_imports(path)}
    assert sorted(set(avatar_core.__all__) - used) == []


def test_the_service_has_no_method_that_only_forwards() -> None:
    """A caller uses a named part (``service.agents.list()``) rather than a method that only
    hands its own arguments to one: the service's methods are use cases that span parts."""
    source = (ROOT / "avatar_core" / "service.py").read_text()
    [service] = [node for node in ast.parse(source).body
                 if isinstance(node, ast.ClassDef) and node.name == "AvatarService"]
    forwards = []
    for method in service.body:
        if not isinstance(method, ast.FunctionDef):
            continue
        body = [s for s in method.body
                if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        params = [a.arg for a in [*method.args.args, *method.args.kwonlyargs]][1:]
        if len(body) == 1 and isinstance(body[0], ast.Return | ast.Expr):
            call = body[0].value
            if (isinstance(call, ast.Call) and ast.unparse(call.func).startswith("self.")
                    and [ast.unparse(a) for a in call.args]
                    + [ast.unparse(k.value) for k in call.keywords] == params):
                forwards.append(method.name)
    assert forwards == []


@pytest.mark.parametrize("page", sorted((ROOT / "app_pages").glob("*.py")), ids=lambda p: p.name)
def test_every_page_stays_within_200_lines(page: Path) -> None:
    """Pages hold layout only; what grows goes into ``avatar_ui`` (one module per part)."""
    assert len(page.read_text().splitlines()) <= 200
