"""WCAG 2.1 AA audits of a Playwright page with axe-core (npm, pinned in tests/package.json).

``audit(page)`` injects axe into the page and into every frame in it — Streamlit's ``st.html``
renders inline, but components live in iframes — runs it once from the top document (axe
collects the frames' results itself) and returns the violations serious enough to block:
impact ``serious`` or ``critical`` unless told otherwise. ``format_violations`` turns them into
a readable failure message; ``assert_accessible`` is both in one call.

axe-core comes from ``npm ci --prefix tests`` (./scripts/test runs it when node_modules is
missing); browser tools downloaded at run time do not work here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["AXE_JS", "BLOCKING_IMPACTS", "WCAG_21_AA", "assert_accessible", "audit",
           "format_violations"]

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BLOCKING_IMPACTS = ("serious", "critical")
_SNIPPET_CHARS = 160
_RUN = """async (options) => {
    const results = await axe.run(document, options);
    return results.violations;
}"""


def _axe_source() -> Path:
    if not AXE_JS.is_file():
        raise RuntimeError(f"{AXE_JS} is missing: run `npm ci --prefix tests` "
                           "(./scripts/test does it when tests/node_modules is missing)")
    return AXE_JS


def audit(page: Any, *, tags: Iterable[str] = WCAG_21_AA,
          impacts: Iterable[str] = BLOCKING_IMPACTS) -> list[dict[str, Any]]:
    """The axe violations of ``page`` (rules tagged ``tags``) whose impact is in ``impacts``.

    Each is axe's own result: ``id``, ``impact``, ``help``, ``helpUrl`` and ``nodes`` with
    ``target`` selectors (a list per frame level for elements inside iframes) and ``html``.
    """
    source = _axe_source()
    for frame in page.frames:
        if not frame.is_detached():
            frame.add_script_tag(path=str(source))
            # axe answers only same-origin frames by default; a test audits its own local
            # pages, and a component may be framed from another origin (another port).
            frame.evaluate("() => axe.configure({allowedOrigins: ['<unsafe_all_origins>']})")
    options = {"runOnly": {"type": "tag", "values": list(tags)},
               "resultTypes": ["violations"], "iframes": True}
    wanted = set(impacts)
    violations: list[dict[str, Any]] = page.evaluate(_RUN, options)
    return [violation for violation in violations if violation.get("impact") in wanted]


def format_violations(violations: list[dict[str, Any]]) -> str:
    """One block per rule: id, impact, help and where — selector and an HTML snippet."""
    if not violations:
        return "no accessibility violations"
    lines = [f"{len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} [{violation.get('impact')}] {violation['help']}"
                     f" ({violation.get('helpUrl', '')})")
        for node in violation.get("nodes", []):
            lines.append(f"    at {_selector(node.get('target', []))}")
            lines.append(f"       {_snippet(node.get('html', ''))}")
            summary = (node.get("failureSummary") or "").strip().replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Any, **options: Any) -> None:
    """Fail with a readable list when ``audit(page, **options)`` finds anything."""
    violations = audit(page, **options)
    assert not violations, format_violations(violations)


def _selector(target: list[Any]) -> str:
    """axe's target: one selector per frame level, outermost first (``>>>`` into an iframe);
    a level that crosses shadow roots is itself a list (``>>`` into a shadow root)."""
    parts = [" >> ".join(part) if isinstance(part, list) else str(part) for part in target]
    return " >>> ".join(parts)


def _snippet(html: str) -> str:
    text = " ".join(html.split())
    return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 1] + "…"
