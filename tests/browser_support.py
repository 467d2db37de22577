"""What the browser tests share: Debian's Chromium, fresh contexts, waiting for Streamlit.

Chromium must be Debian's package (``/usr/bin/chromium``): browser downloads fail here, so a
missing browser is a failure with a clear message, never a skip. Every wait is on a condition
with a generous deadline (two shared cores, other work beside), never a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "NARROW", "VIEWPORT", "browsing", "launch",
           "rect", "visible_text", "wait_for_app"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}
NARROW = {"width": 390, "height": 844}  # a phone


@contextmanager
def launch() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium "
                    "(sudo apt-get install chromium; browser downloads do not work here)",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def browsing(browser: Any, scheme: str = "light", *, motion: str = "reduce",
             viewport: dict[str, int] | None = None) -> Iterator[tuple[Any, Any]]:
    """A fresh browser context (own cache) and page; a failure reports what the page showed."""
    context = browser.new_context(viewport=viewport or VIEWPORT, color_scheme=scheme,
                                  reduced_motion=motion)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield context, page
    except AssertionError:
        raise
    except Exception as exc:  # a Playwright timeout: say what was on the screen instead
        raise AssertionError(f"{type(exc).__name__} on {page.url}: {exc}\n"
                             f"the page shows:\n{visible_text(page)}") from exc
    finally:
        context.close()


def wait_for_app(page: Any) -> None:
    """Streamlit has drawn the page, finished running its script and raised nothing."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"]')
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"] "
        "[data-testid=\"stStatusWidgetRunningIcon\"]')")
    assert page.locator('[data-testid="stException"]').count() == 0, visible_text(page)


def visible_text(page: Any) -> str:
    """What the page shows, for failure messages (an exception box, a spinner, nothing)."""
    try:
        return str(page.inner_text("body", timeout=2_000))[-1500:]
    except Exception as exc:
        return f"<unreadable: {exc}>"


def rect(page: Any, selector: str) -> list[dict[str, float]]:
    """The bounding boxes of every element matching ``selector`` that is displayed."""
    boxes: list[dict[str, float]] = page.eval_on_selector_all(
        selector,
        """els => els.filter(e => getComputedStyle(e).display !== 'none')
                    .map(e => { const r = e.getBoundingClientRect();
                                return {left: r.left, right: r.right, width: r.width,
                                        top: r.top, bottom: r.bottom}; })""")
    return boxes
