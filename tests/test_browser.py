"""The real dashboard in a real browser: Playwright driving Debian's Chromium.

Two ``streamlit run app.py`` subprocesses on free loopback ports (demo agents, built-in
provider, no keys): ``server`` in demo mode, whose agents get their default avatars and emotion
variants in the background while it starts, and ``secured`` with an admin token, so that the
tests can write through the API (new activity, a planted display name) the way the agent
platform does. Then:

- the Dashboard shows every avatar as a decoded WebP ``<img>`` on a versioned /api URL, in an
  indigo ring (purple for the system agents); a second visit fetches no avatar bytes;
- it is live: an activity POSTed through the API appears on an OPEN dashboard without a reload,
  a running bar grows, and the viewer's window and filter stay as they were;
- at 390 px wide the tile sits above full-width bars and no two axis labels overlap;
- Agent Detail: the 30 s cycle, the strip of eight variants, Next emotion, the crossfade (old
  and new face both there during the transition, then only the new; none with reduced motion);
- planted Markdown in a display name shows as text, never as a link;
- every page passes axe-core's WCAG 2.1 AA audit in light and dark (no serious or critical
  finding), and is screenshotted into ``docs/`` (the README shows them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from avatar_core.domain.demo import DEMO_AGENTS
from avatar_core.domain.emotions import EMOTIONS
from tests.axe import audit, format_violations
from tests.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NARROW,
    browsing,
    launch,
    rect,
    visible_text,
    wait_for_app,
)
from tests.live_server import LiveServer

__all__ = ["CHROMIUM", "CHROMIUM_ARGS"]  # tests/test_axe.py launches the same browser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
STARTUP_S = 120.0  # health, then default avatars for the 12 demo agents (2 slow cores in CI)
EMOTION_CYCLE_S = 30.0  # Agent Detail's streamlit-autorefresh interval
LIVE_S = 60.0  # the dashboard redraws every 5 s; shaped data is shared for 5 s more
DETAIL_AGENT = "ledger-bot"
ADMIN_TOKEN = "browser-admin-token"
SYSTEM_AGENTS = {agent.name for agent in DEMO_AGENTS if agent.is_system}
INDIGO = "rgb(99, 102, 241)"  # RING_AGENT #6366f1
PURPLE = "rgb(168, 85, 247)"  # RING_SYSTEM #a855f7
AVATAR_URL = re.compile(r"/api/agents/([a-z0-9][a-z0-9_-]*)/avatar\?v=[0-9a-f]+(&size=\d+)?$")
EMOTION_URL = re.compile(r"/api/agents/[a-z0-9_-]+/avatar/emotion/([a-z]+)\?")
FACE_LOADED = ("() => { const i = document.querySelector('img.aa-face');"
               " return i && i.complete && i.naturalWidth > 0 }")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# --- the servers and the browser -------------------------------------------------------------


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
        running.wait_for(
            f"8 emotion variants of {DETAIL_AGENT}",
            lambda: len(running.get_json(
                f"/api/agents/{DETAIL_AGENT}/avatar/emotions")["emotions"]) == 8,
            time.monotonic() + STARTUP_S)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with an admin token: API writes need it, as on a real deployment."""
    tmp = tmp_path_factory.mktemp("secured")
    running = LiveServer(tmp / "data", tmp / "server.log", AVATARS_ADMIN_TOKEN=ADMIN_TOKEN)
    try:
        deadline = time.monotonic() + STARTUP_S
        running.wait_for("health", lambda: running.get("/_stcore/health")[0] == 200, deadline)
        running.wait_for("demo agents",
                         lambda: len(running.get_json("/api/agents")) == len(DEMO_AGENTS),
                         deadline)
        yield running
    finally:
        running.stop()


def assert_accessible(page: Any) -> None:
    """axe-core finds nothing serious or critical on the page at rest.

    While a script run takes over half a second Streamlit shows a "Stop" button in its header
    (its own chrome, grey at 2.4 : 1 and not themable); the live dashboard reruns its fragment
    every few seconds, which on a loaded machine can take that long. A finding on that button
    alone is audited again once the run is over; anything else fails at once.
    """
    for _ in range(3):
        wait_for_app(page)
        violations = audit(page)
        if not violations or not all(_on_stop_button(v) for v in violations):
            break
    assert not violations, format_violations(violations)


def _on_stop_button(violation: dict[str, Any]) -> bool:
    return all('kind="header"' in node["html"] and re.search(r">Stop(ping\.\.\.)?<", node["html"])
               for node in violation["nodes"])


def write(server: LiveServer, method: str, path: str, body: Any) -> Any:
    status, _, answer = server.request(method, path, body,
                                       {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert status in (200, 201), f"{method} {path} → {status}: {answer[:300]!r}"
    return answer


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch() as launched:
        yield launched


def tile_images(page: Any, count: int = len(DEMO_AGENTS)) -> list[dict[str, Any]]:
    """Every dashboard tile avatar, scrolled into view and decoded."""
    page.wait_for_function(
        f"() => document.querySelectorAll('.aa-tl img.aa-avatar').length === {count}")
    for image in page.locator(".aa-tl img.aa-avatar").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.aa-tl img.aa-avatar')]"
        ".every(i => i.complete && i.naturalWidth > 0)")
    return page.eval_on_selector_all(
        ".aa-tl img.aa-avatar",
        """images => images.map(i => ({
            src: i.getAttribute('src'), naturalWidth: i.naturalWidth, alt: i.alt,
            border: getComputedStyle(i).borderTopColor,
            borderWidth: parseFloat(getComputedStyle(i).borderTopWidth),
            width: i.getBoundingClientRect().width}))""")


def open_detail(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.base}/agent?agent={DETAIL_AGENT}")
    wait_for_app(page)
    page.wait_for_function(FACE_LOADED)


def face(page: Any) -> tuple[str, str]:
    """(src of the large face, its caption)."""
    return (page.locator("img.aa-face").get_attribute("src") or "",
            page.locator(".aa-face-caption").inner_text().strip())


# --- the dashboard -----------------------------------------------------------------------------


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
    display = {agent.name: agent.display_name for agent in DEMO_AGENTS}
    for image in images:
        match = AVATAR_URL.search(image["src"])
        assert match, f"tile avatar is not a versioned /api avatar URL: {image['src']}"
        name = match.group(1)
        names.add(name)
        assert image["alt"] == display[name], f"{name}: alt text {image['alt']!r}"
        assert image["naturalWidth"] > 0, f"{name}: avatar not decoded"
        assert image["width"] >= 64, f"{name}: avatar drawn at {image['width']} px"
        assert image["borderWidth"] >= 2, f"{name}: no ring"
        expected = PURPLE if name in SYSTEM_AGENTS else INDIGO
        assert image["border"] == expected, f"{name}: ring {image['border']}, want {expected}"
    assert names == {agent.name for agent in DEMO_AGENTS}
    assert len(content_types) == len(DEMO_AGENTS), content_types
    # AVIF once the background has made it, WebP meanwhile
    assert set(content_types.values()) <= {"image/avif", "image/webp"}, content_types


def test_tiles_ask_for_the_size_they_show_and_cost_a_fraction_of_the_display_bytes(
        server, browser):
    responses: list[Any] = []

    def record(response: Any) -> None:
        if AVATAR_URL.search(response.url) and response.status == 200:
            responses.append(response)

    with browsing(browser) as (_, page):
        page.on("response", record)
        page.goto(server.base + "/")
        wait_for_app(page)
        images = tile_images(page)
        srcsets = page.eval_on_selector_all(".aa-tl img.aa-avatar",
                                            "images => images.map(i => i.getAttribute('srcset'))")
        fetched = {response.url: len(response.body()) for response in responses}
    for image, srcset in zip(images, srcsets, strict=True):
        assert image["src"].endswith("&size=72"), image["src"]
        assert srcset == f"{image['src']} 1x, {image['src'][:-2]}144 2x", srcset
        assert image["naturalWidth"] == 96, image  # 72 rounded up to the ladder
    assert len(fetched) == len(DEMO_AGENTS), fetched
    # Before sizes, every tile fetched the 512 px display WebP.
    display = sum(len(server.get(AVATAR_URL.search(url).group(0).split("&")[0])[1])
                  for url in fetched)
    assert sum(fetched.values()) <= 0.25 * display, (sum(fetched.values()), display)


def tiles_have_avif(server: LiveServer) -> bool:
    """Every demo agent's tile size is made in AVIF: no answer stands in for one any more."""
    for agent in server.get_json("/api/agents"):
        _, headers, _ = server.request("GET", f"{agent['avatar_url']}&size=72", None,
                                       {"Accept": "image/avif,image/webp,*/*"})
        if headers.get("content-type") != "image/avif":
            return False
    return True


def test_second_visit_fetches_no_avatar_bytes(server, browser):
    # A WebP standing in for an AVIF not made yet is asked for again (that is the point), so
    # the renditions are waited for first.
    server.wait_for("AVIF tiles", lambda: tiles_have_avif(server), time.monotonic() + 900)
    with browsing(browser) as (context, page):
        page.goto(server.base + "/")
        wait_for_app(page)
        first = tile_images(page)

        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        requests: dict[str, str] = {}  # requestId → url, avatar images only
        responses: dict[str, dict[str, Any]] = {}
        from_cache: set[str] = set()
        finished: set[str] = set()

        def on_request(event: dict[str, Any]) -> None:
            if AVATAR_URL.search(event["request"]["url"]):
                requests[event["requestId"]] = event["request"]["url"]

        def on_response(event: dict[str, Any]) -> None:
            if event["requestId"] in requests:
                responses[event["requestId"]] = event["response"]

        cdp.on("Network.requestWillBeSent", on_request)
        cdp.on("Network.responseReceived", on_response)
        cdp.on("Network.requestServedFromCache", lambda e: from_cache.add(e["requestId"]))
        cdp.on("Network.loadingFinished", lambda e: finished.add(e["requestId"]))

        page.goto(server.base + "/")
        wait_for_app(page)
        second = tile_images(page)
        deadline = time.monotonic() + 10  # the last loadingFinished events arrive after paint
        while time.monotonic() < deadline and not set(requests) <= finished:
            page.wait_for_timeout(100)

    assert sorted(i["src"] for i in second) == sorted(i["src"] for i in first)
    fetched = []
    for request_id, url in requests.items():
        response = responses.get(request_id, {})
        cached = (request_id in from_cache or response.get("fromDiskCache")
                  or response.get("fromMemoryCache"))
        if cached or response.get("status") == 304:
            continue
        fetched.append((url, response.get("status")))
    assert not fetched, f"avatar bytes fetched again on the second visit: {fetched}"


def bar_width(page: Any, marker: str) -> float | None:
    return page.evaluate(
        "m => { const b = [...document.querySelectorAll('.aa-b')]"
        ".find(b => b.title.includes(m)); return b ? parseFloat(b.style.width) : null }", marker)


def test_new_activity_appears_on_an_open_dashboard_without_reload(secured, browser):
    with browsing(browser) as (_, page):
        page.goto(secured.base + "/")
        wait_for_app(page)
        page.wait_for_selector(".aa-tl .aa-row")
        # the viewer's own choices, which a refresh must keep
        page.locator('[data-testid="stRadio"] label').filter(has_text="1 h").click()
        wait_for_app(page)
        page.get_by_label("Filter by name").fill("ledger")
        page.get_by_label("Filter by name").press("Enter")
        page.wait_for_function("() => document.querySelectorAll('.aa-tl .aa-row').length === 1")
        page.evaluate("window.__aaNoReload = 42")  # a reload would lose it

        now = datetime.now(UTC)
        finished, running = f"finished-{now:%H%M%S%f}", f"running-{now:%H%M%S%f}"
        write(secured, "POST", f"/api/agents/{DETAIL_AGENT}/activities", {
            "started_at": (now - timedelta(minutes=3)).isoformat(),
            "ended_at": (now - timedelta(minutes=1)).isoformat(),
            "kind": "task", "status": "error", "summary": finished})
        write(secured, "POST", f"/api/agents/{DETAIL_AGENT}/activities", {
            "started_at": (now - timedelta(seconds=30)).isoformat(), "ended_at": None,
            "kind": "chat", "status": "running", "summary": running})

        page.wait_for_function(
            "m => [...document.querySelectorAll('.aa-b')].some(b => b.title.includes(m))",
            arg=finished, timeout=LIVE_S * 1000)
        page.wait_for_function(
            "m => [...document.querySelectorAll('.aa-b')].some(b => b.title.includes(m))",
            arg=running, timeout=LIVE_S * 1000)
        first_width = bar_width(page, running)
        assert first_width is not None
        page.wait_for_function(  # the running bar grows as time passes, NOW moving with it
            "([m, w]) => { const b = [...document.querySelectorAll('.aa-b')]"
            ".find(b => b.title.includes(m)); return b && parseFloat(b.style.width) > w }",
            arg=[running, first_width], timeout=LIVE_S * 1000)

        assert page.evaluate("window.__aaNoReload") == 42, "the page was reloaded"
        assert page.get_by_role("radio", name="1 h").is_checked()
        assert page.get_by_label("Filter by name").input_value() == "ledger"
        assert page.locator(".aa-tl .aa-row").count() == 1
        assert page.locator(".aa-b.aa-error").count() >= 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_narrow_screens_get_their_own_layout(server, browser, scheme):
    with browsing(browser, scheme, viewport=NARROW) as (_, page):
        page.goto(server.base + "/")
        wait_for_app(page)
        tile_images(page)
        page.wait_for_selector(f".aa-tl.aa-{scheme}")
        page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
        tracks, tiles = rect(page, ".aa-track"), rect(page, ".aa-tile")
        assert tracks and all(t["width"] >= 280 for t in tracks), tracks[:3]
        for tile, track in zip(tiles, tracks, strict=True):  # the tile above its bars
            assert track["top"] >= tile["bottom"] - 1, (tile, track)
        labels = sorted(rect(page, ".aa-tick"), key=lambda box: box["left"])
        assert len(labels) >= 2
        for left, right in pairwise(labels):
            assert left["right"] <= right["left"], f"axis labels overlap: {labels}"
        now_label = rect(page, ".aa-now-label")[0]
        assert labels[-1]["right"] <= now_label["left"], (labels[-1], now_label)
        page.evaluate("document.querySelector('.aa-tl').scrollIntoView()")  # rows, not the form
        page.wait_for_timeout(300)  # the last paint of the decoded avatars
        target = DOCS / f"screenshot-dashboard-390-{scheme}.png"
        page.screenshot(path=str(target), animations="disabled")
        assert_accessible(page)
    assert target.stat().st_size < 1_000_000


# --- Agent Detail ------------------------------------------------------------------------------


def test_agent_detail_moves_to_the_next_emotion(server, browser):
    with browsing(browser) as (_, page):
        open_detail(page, server)
        before_src, before_caption = face(page)
        started = time.monotonic()
        page.wait_for_function(
            "before => { const i = document.querySelector('img.aa-face');"
            " return i && i.getAttribute('src') !== before && i.complete && i.naturalWidth > 0 }",
            arg=before_src, timeout=(EMOTION_CYCLE_S + 8) * 1000)
        waited = time.monotonic() - started
        after_src, after_caption = face(page)

    after = EMOTION_URL.search(after_src)
    assert after, f"the image did not change to an emotion variant: {after_src}"
    assert after.group(1) == after_caption, (after_src, after_caption)
    assert after_caption != before_caption, (before_caption, after_caption)
    if (before := EMOTION_URL.search(before_src)) is not None:
        assert before.group(1) == before_caption and before.group(1) != after.group(1)
    assert waited <= EMOTION_CYCLE_S + 5, f"took {waited:.1f} s"


def test_strip_and_next_emotion(server, browser):
    with browsing(browser) as (_, page):
        open_detail(page, server)
        strip = page.locator("img.aa-strip-face")
        strip.first.wait_for()
        alts = [image.get_attribute("alt") for image in strip.all()]
        assert alts == [f"Ledger Bot, {emotion}" for emotion in EMOTIONS]

        page.get_by_role("button", name="calm", exact=True).click()
        page.wait_for_function("() => /\\/emotion\\/calm\\?/.test("
                               "document.querySelector('img.aa-face').getAttribute('src'))")
        assert face(page)[1] == "calm"
        assert page.locator("img.aa-face").get_attribute("alt") == "Ledger Bot, calm"

        next_button = page.get_by_role("button", name="Next emotion")
        next_button.focus()  # reachable and usable with the keyboard
        page.keyboard.press("Enter")
        page.wait_for_function("() => /\\/emotion\\/amused\\?/.test("
                               "document.querySelector('img.aa-face').getAttribute('src'))",
                               timeout=15_000)
        assert face(page)[1] == "amused"


OLD_AND_NEW = """() => {
    const old = document.querySelector('img.aa-face-old');
    const now = document.querySelector('img.aa-face');
    if (!old || !now) return false;
    const opacity = parseFloat(getComputedStyle(old).opacity);
    return getComputedStyle(old).visibility === 'visible' && opacity > 0.02 && opacity < 1
        && now.complete && now.naturalWidth > 0;
}"""
ONLY_NEW = """() => {
    const old = document.querySelector('img.aa-face-old');
    return !old || (getComputedStyle(old).visibility === 'hidden'
                    && parseFloat(getComputedStyle(old).opacity) === 0);
}"""


def test_the_face_crossfades_and_respects_reduced_motion(server, browser):
    with browsing(browser, motion="no-preference") as (_, page):
        open_detail(page, server)
        before = face(page)[0]
        page.get_by_role("button", name="Next emotion").click()
        # Polled every animation frame: both faces are there while the old one fades out.
        page.wait_for_function(OLD_AND_NEW, polling="raf", timeout=15_000)
        old_src = page.locator("img.aa-face-old").get_attribute("src")
        assert old_src == before and face(page)[0] != before
        started = time.monotonic()
        page.wait_for_function(ONLY_NEW, polling="raf", timeout=10_000)
        assert time.monotonic() - started < 5, "the crossfade should take about a second"
        assert page.locator("img.aa-face-old").get_attribute("aria-hidden") in ("true", None)

    with browsing(browser, motion="reduce") as (_, page):
        open_detail(page, server)
        page.get_by_role("button", name="Next emotion").click()
        page.wait_for_selector("img.aa-face-old", state="attached", timeout=15_000)
        assert page.eval_on_selector("img.aa-face-old",
                                     "i => getComputedStyle(i).display") == "none"


def test_planted_markdown_shows_as_text(secured, browser):
    planted = "[Session expired — sign in again](https://evil.example/login)"
    write(secured, "PATCH", f"/api/agents/{DETAIL_AGENT}", {"display_name": planted})
    with browsing(browser) as (_, page):
        page.goto(f"{secured.base}/agent?agent={DETAIL_AGENT}")
        wait_for_app(page)
        page.get_by_text(planted, exact=True).first.wait_for()
        assert page.locator('a[href*="evil.example"]').count() == 0, visible_text(page)
        page.goto(f"{secured.base}/agent?agent=%5Bx%5D(https://evil.example/q)")
        wait_for_app(page)
        page.get_by_text("not found").wait_for()
        assert page.locator('a[href*="evil.example"]').count() == 0, visible_text(page)


# --- every page: accessible, and screenshotted, in light and dark ------------------------------

PAGES = {
    "dashboard": ("/", ".aa-tl img.aa-avatar"),
    "agent": (f"/agent?agent={DETAIL_AGENT}", "img.aa-strip-face"),
    "settings": ("/settings", '[data-testid="stTabs"]'),
}


def mean_luminance(path: Path) -> float:
    from PIL import Image, ImageStat

    with Image.open(path) as image:
        return ImageStat.Stat(image.convert("L")).mean[0]


def prepare(page: Any, name: str, scheme: str) -> None:
    if name == "dashboard":
        tile_images(page)
        # The timeline follows the theme Streamlit reports back to the server.
        page.wait_for_selector(f".aa-tl.aa-{scheme}")
        page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
    if name == "agent":
        page.wait_for_function(
            "() => [...document.querySelectorAll('img')]"
            ".every(i => !i.getBoundingClientRect().width || i.naturalWidth > 0)")


def _luminance(rgb: str) -> float:
    channels = [int(value) / 255 for value in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def selected_tab_contrast(page: Any) -> float:
    """WCAG contrast of the selected tab's label on the page background."""
    text, ground = page.evaluate(
        "() => [getComputedStyle(document.querySelector("
        "'[data-testid=\"stTabs\"] [role=\"tab\"][aria-selected=\"true\"] p')).color,"
        " getComputedStyle(document.querySelector('[data-testid=\"stApp\"]'))"
        ".backgroundColor]")
    lighter, darker = sorted((_luminance(text), _luminance(ground)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_is_accessible_and_screenshotted(server, browser, scheme):
    started = time.time()
    written = []
    with browsing(browser, scheme) as (_, page):
        for name, (path, ready) in PAGES.items():
            page.goto(server.base + path)
            wait_for_app(page)
            page.wait_for_selector(ready)
            prepare(page, name, scheme)
            assert_accessible(page)
            if name == "agent":  # the Generate dialog, open over the page
                page.get_by_role("button", name="Generate…").click()
                page.get_by_role("dialog").wait_for()
                wait_for_app(page)
                assert_accessible(page)
                page.keyboard.press("Escape")
                page.get_by_role("dialog").wait_for(state="detached")
            if name == "settings":  # every tab of Settings, then the bulk defaults' summary
                for tab in ("Agents", "API tokens", "Configuration", "Default avatars"):
                    page.get_by_role("tab", name=tab).click()
                    wait_for_app(page)
                    assert_accessible(page)
                    assert selected_tab_contrast(page) >= 4.5, tab  # what axe cannot measure
                page.get_by_text("Last run").wait_for()
            page.evaluate("document.activeElement?.blur()")  # no focus ring in the picture
            page.mouse.move(1390, 990)  # nor a hovered button (an empty corner of the page)
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
