"""tests/axe.py on small static pages in Debian's Chromium (Playwright, no browser download).

Known failures must be found (low contrast, an image without alt text — also inside an iframe
from another origin, the way Streamlit components are framed) and a clean page must report
nothing, so an audit that finds nothing means something.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.axe import assert_accessible, audit, format_violations
from tests.browser_support import launch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEAD = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<style>body {{ font: 16px sans-serif; color: #0f172a; background: #ffffff; }}
.faint {{ color: #c8ccd2; }}</style></head><body><main><h1>{title}</h1>"""
TAIL = "</main></body></html>"
PIXEL = "pixel.png"
PAGES = {
    "clean.html": f"""<p>Readable text on white.</p>
        <img src="{PIXEL}" alt="A robot avatar" width="64" height="64">
        <button type="button">Generate</button>""",
    "broken.html": f"""<p class="faint">Status: idle since noon</p>
        <img src="{PIXEL}" width="64" height="64">""",
    "inner.html": f"""<img src="{PIXEL}" width="48" height="48">""",
    "moderate.html": "<p>Only a moderate problem.</p>",
}
# A 1×1 transparent PNG.
PIXEL_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The pages on two local origins (127.0.0.1 and localhost: a cross-origin iframe)."""
    root = tmp_path_factory.mktemp("axe-site")
    for name, body in PAGES.items():
        (root / name).write_text(HEAD.format(title=name.removesuffix(".html")) + body + TAIL)
    (root / PIXEL).write_bytes(PIXEL_BYTES)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(_QuietHandler, directory=str(root)))
    port = server.server_address[1]
    other_origin = f"http://localhost:{port}"
    (root / "framed.html").write_text(
        HEAD.format(title="framed") + "<p>The outer page is fine.</p>"
        f'<iframe src="{other_origin}/inner.html" title="An avatar component" '
        'width="200" height="120"></iframe>' + TAIL)
    # The moderate-only page: lang and xml:lang disagree (html-xml-lang-mismatch, moderate).
    (root / "moderate.html").write_text(
        (root / "moderate.html").read_text().replace('lang="en"', 'lang="en" xml:lang="fr"'))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base": f"http://127.0.0.1:{port}"}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_page(page: Any, site: dict[str, str], name: str) -> Any:
    page.goto(f"{site['base']}/{name}", wait_until="load")
    return page


def by_rule(violations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {violation["id"]: violation for violation in violations}


def test_a_clean_page_reports_nothing(page, site):
    assert audit(open_page(page, site, "clean.html")) == []
    assert_accessible(page)


def test_low_contrast_and_a_missing_alt_are_reported(page, site):
    violations = by_rule(audit(open_page(page, site, "broken.html")))
    assert set(violations) == {"color-contrast", "image-alt"}, format_violations(
        list(violations.values()))
    assert violations["color-contrast"]["impact"] == "serious"
    assert violations["image-alt"]["impact"] == "critical"
    assert [node["html"] for node in violations["color-contrast"]["nodes"]] == [
        '<p class="faint">Status: idle since noon</p>']
    assert [node["target"] for node in violations["image-alt"]["nodes"]] == [["img"]]


def test_violations_inside_a_cross_origin_iframe_are_reported(page, site):
    violations = by_rule(audit(open_page(page, site, "framed.html")))
    assert set(violations) == {"image-alt"}, format_violations(list(violations.values()))
    assert [node["target"] for node in violations["image-alt"]["nodes"]] == [["iframe", "img"]]


def test_the_impact_filter_keeps_moderate_findings_out_unless_asked(page, site):
    open_page(page, site, "moderate.html")
    assert audit(page) == []
    moderate = audit(page, impacts=("moderate", "serious", "critical"))
    assert [violation["id"] for violation in moderate] == ["html-xml-lang-mismatch"]


def test_the_formatter_names_rule_impact_help_target_and_snippet(page, site):
    text = format_violations(audit(open_page(page, site, "broken.html")))
    assert text.startswith("2 accessibility violation(s):")
    assert "- color-contrast [serious] Elements must meet minimum color contrast ratio" in text
    assert "- image-alt [critical] Images must have alternative text" in text
    assert "at img\n" in text
    assert '<p class="faint">Status: idle since noon</p>' in text
    assert "insufficient color contrast" in text
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)
    framed = format_violations(audit(open_page(page, site, "framed.html")))
    assert "at iframe >>> img" in framed
    assert format_violations([]) == "no accessibility violations"
