"""The real dashboard in a real browser: Playwright driving Debian's Chromium.

One ``streamlit run app.py`` subprocess (demo agents, built-in provider, no keys) serves the
dashboard and /api on a free loopback port for the whole module; the demo agents get their
default avatars and emotion variants in the background while it starts. Then:

- the Dashboard shows every avatar as a decoded WebP ``<img>`` on a versioned /api URL, in an
  indigo ring (purple for the system agents);
- a second visit in the same browser fetches no avatar bytes (HTTP cache, or at most a 304);
- Agent Detail's image moves on to the next emotion variant within 35 s (streamlit-autorefresh);
- all three pages are screenshotted in light and dark mode into ``docs/`` (the README shows them).

Chromium must be Debian's package (``/usr/bin/chromium``): browser downloads fail here, so a
missing browser is a failure with a clear message, never a skip.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from avatar_core.domain.demo import DEMO_AGENTS
from tests.live_server import LiveServer

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 1000}
STARTUP_S = 120.0  # health, then default avatars for the 12 demo agents (2 slow cores in CI)
EMOTION_CYCLE_S = 30.0  # Agent Detail's streamlit-autorefresh interval
DETAIL_AGENT = "ledger-bot"
SYSTEM_AGENTS = {agent.name for agent in DEMO_AGENTS if agent.is_system}
INDIGO = "rgb(99, 102, 241)"  # RING_AGENT #6366f1
PURPLE = "rgb(168, 85, 247)"  # RING_SYSTEM #a855f7
AVATAR_URL = re.compile(r"/api/agents/([a-z0-9][a-z0-9_-]*)/avatar\?v=[0-9a-f]+$")
EMOTION_URL = re.compile(r"/api/agents/[a-z0-9_-]+/avatar/emotion/([a-z]+)\?")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# --- the server ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("browser")
    running = LiveServer(tmp / "data", tmp / "server.log")
    try:
        deadline = time.monotonic() + STARTUP_S
        running.wait_for("health", lambda: running.get("/_stcore/health")[0] == 200, deadline)

        def all_have_avatars() -> bool:
            agents = running.get_json("/api/agents")
            return len(agents) == len(DEMO_AGENTS) and all(a["has_avatar"] for a in agents)

        running.wait_for("default avatars for every demo agent", all_have_avatars, deadline)
        yield running
    finally:
        running.stop()


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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
def browsing(browser: Any, scheme: str = "light") -> Iterator[tuple[Any, Any]]:
    """A fresh browser context (own cache) and page; a failure reports what the page showed."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme,
                                  reduced_motion="reduce")
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


def tile_images(page: Any) -> list[dict[str, Any]]:
    """Every dashboard tile avatar, scrolled into view and decoded."""
    page.wait_for_function(
        f"() => document.querySelectorAll('.aa-tl img.aa-avatar').length === {len(DEMO_AGENTS)}")
    for image in page.locator(".aa-tl img.aa-avatar").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.aa-tl img.aa-avatar')]"
        ".every(i => i.complete && i.naturalWidth > 0)")
    return page.eval_on_selector_all(
        ".aa-tl img.aa-avatar",
        """images => images.map(i => ({
            src: i.getAttribute('src'), naturalWidth: i.naturalWidth,
            border: getComputedStyle(i).borderTopColor,
            borderWidth: parseFloat(getComputedStyle(i).borderTopWidth),
            width: i.getBoundingClientRect().width}))""")


def visible_text(page: Any) -> str:
    """What the page shows, for failure messages (an exception box, a spinner, nothing)."""
    try:
        return page.inner_text("body", timeout=2_000)[-1500:]
    except Exception as exc:
        return f"<unreadable: {exc}>"


# --- a. avatars on the dashboard -------------------------------------------------------------


def test_dashboard_shows_decoded_webp_avatars_in_rings(server, browser):
    content_types: dict[str, str] = {}

    def record(response: Any) -> None:
        if AVATAR_URL.search(response.url):
            content_types[response.url] = response.header_value("content-type") or ""

    with browsing(browser) as (_, page):
        page.on("response", record)
        page.goto(server.base + "/")
        wait_for_app(page)
        images = tile_images(page)

    names = set()
    for image in images:
        match = AVATAR_URL.search(image["src"])
        assert match, f"tile avatar is not a versioned /api avatar URL: {image['src']}"
        name = match.group(1)
        names.add(name)
        assert image["naturalWidth"] > 0, f"{name}: avatar not decoded"
        assert image["width"] >= 64, f"{name}: avatar drawn at {image['width']} px"
        assert image["borderWidth"] >= 2, f"{name}: no ring"
        expected = PURPLE if name in SYSTEM_AGENTS else INDIGO
        assert image["border"] == expected, f"{name}: ring {image['border']}, want {expected}"
    assert names == {agent.name for agent in DEMO_AGENTS}
    assert len(content_types) == len(DEMO_AGENTS), content_types
    assert set(content_types.values()) == {"image/webp"}, content_types


# --- b. the second visit comes from the browser cache ----------------------------------------


def test_second_visit_fetches_no_avatar_bytes(server, browser):
    with browsing(browser) as (context, page):
        page.goto(server.base + "/")
        wait_for_app(page)
        first = tile_images(page)

        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        requests: dict[str, str] = {}  # requestId → url, avatar images only
        responses: dict[str, dict[str, Any]] = {}
        from_cache: set[str] = set()
        transferred: dict[str, float] = {}

        def on_request(event: dict[str, Any]) -> None:
            if AVATAR_URL.search(event["request"]["url"]):
                requests[event["requestId"]] = event["request"]["url"]

        def on_response(event: dict[str, Any]) -> None:
            if event["requestId"] in requests:
                responses[event["requestId"]] = event["response"]

        def on_finished(event: dict[str, Any]) -> None:
            if event["requestId"] in requests:
                transferred[event["requestId"]] = event["encodedDataLength"]

        cdp.on("Network.requestWillBeSent", on_request)
        cdp.on("Network.responseReceived", on_response)
        cdp.on("Network.requestServedFromCache", lambda e: from_cache.add(e["requestId"]))
        cdp.on("Network.loadingFinished", on_finished)

        page.goto(server.base + "/")
        wait_for_app(page)
        second = tile_images(page)
        page.wait_for_timeout(500)  # let the last loadingFinished events arrive

    assert sorted(i["src"] for i in second) == sorted(i["src"] for i in first)
    fetched = []
    for request_id, url in requests.items():
        response = responses.get(request_id, {})
        cached = (request_id in from_cache or response.get("fromDiskCache")
                  or response.get("fromMemoryCache"))
        if cached or response.get("status") == 304:
            continue
        fetched.append((url, response.get("status"), transferred.get(request_id)))
    assert not fetched, f"avatar bytes fetched again on the second visit: {fetched}"


# --- c. Agent Detail cycles through the emotions ---------------------------------------------


def test_agent_detail_moves_to_the_next_emotion(server, browser):
    deadline = time.monotonic() + STARTUP_S
    server.wait_for(
        f"8 emotion variants of {DETAIL_AGENT}",
        lambda: len(server.get_json(f"/api/agents/{DETAIL_AGENT}/avatar/emotions")["emotions"])
        == 8,
        deadline)

    with browsing(browser) as (_, page):
        page.goto(f"{server.base}/agent?agent={DETAIL_AGENT}")
        wait_for_app(page)
        face = page.locator("img.aa-face")
        caption = page.locator(".aa-face-caption")
        face.wait_for()
        page.wait_for_function(
            "() => { const i = document.querySelector('img.aa-face');"
            " return i && i.complete && i.naturalWidth > 0 }")
        before_src, before_caption = face.get_attribute("src"), caption.inner_text().strip()
        started = time.monotonic()
        page.wait_for_function(
            "before => { const i = document.querySelector('img.aa-face');"
            " return i && i.getAttribute('src') !== before && i.complete && i.naturalWidth > 0 }",
            arg=before_src, timeout=(EMOTION_CYCLE_S + 8) * 1000)
        waited = time.monotonic() - started
        after_src, after_caption = face.get_attribute("src"), caption.inner_text().strip()

    after = EMOTION_URL.search(after_src or "")
    assert after, f"the image did not change to an emotion variant: {after_src}"
    assert after.group(1) == after_caption, (after_src, after_caption)
    assert after_caption != before_caption, (before_caption, after_caption)
    if (before := EMOTION_URL.search(before_src or "")) is not None:
        assert before.group(1) == before_caption and before.group(1) != after.group(1)
    assert waited <= EMOTION_CYCLE_S + 5, f"took {waited:.1f} s"


# --- d. screenshots, light and dark ----------------------------------------------------------

PAGES = {
    "dashboard": ("/", ".aa-tl img.aa-avatar"),
    "agent": (f"/agent?agent={DETAIL_AGENT}", "img.aa-face"),
    "settings": ("/settings", '[data-testid="stTabs"]'),
}


def mean_luminance(path: Path) -> float:
    from PIL import Image, ImageStat

    with Image.open(path) as image:
        return ImageStat.Stat(image.convert("L")).mean[0]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(server, browser, scheme):
    started = time.time()
    written = []
    with browsing(browser, scheme) as (_, page):
        for name, (path, ready) in PAGES.items():
            page.goto(server.base + path)
            wait_for_app(page)
            page.wait_for_selector(ready)
            if name == "dashboard":
                tile_images(page)
                # The timeline follows the theme Streamlit reports back to the server.
                page.wait_for_selector(f".aa-tl.aa-{scheme}")
                page.evaluate("document.querySelector('[data-testid=\"stMain\"]')"
                              "?.scrollTo(0, 0)")
            if name == "settings":  # the one-button bulk defaults and their summary
                page.get_by_role("tab", name="Default avatars").click()
                page.get_by_text("Last run").wait_for()
            if name == "agent":
                page.wait_for_function(
                    "() => [...document.querySelectorAll('img')]"
                    ".every(i => !i.getBoundingClientRect().width || i.naturalWidth > 0)")
            page.wait_for_timeout(600)  # fonts and the last paint
            target = DOCS / f"screenshot-{name}-{scheme}.png"
            page.screenshot(path=str(target), animations="disabled")
            written.append(target)

    assert len(written) == len(PAGES)
    for target in written:
        assert target.stat().st_mtime >= started - 1, f"{target.name} was not written"
        assert target.stat().st_size < 1_000_000, f"{target.name} is too large"
        luminance = mean_luminance(target)
        if scheme == "dark":
            assert luminance < 100, f"{target.name} is not dark (mean luminance {luminance:.0f})"
        else:
            assert luminance > 150, f"{target.name} is not light (mean luminance {luminance:.0f})"

