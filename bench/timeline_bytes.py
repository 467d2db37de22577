"""Bytes of avatar images one Dashboard Timeline view costs in Chromium: sized tiles vs 512 px WebP.

Run: ``.venv/bin/python bench/timeline_bytes.py [--agents 100]``. A data dir gets ``--agents``
agents, each with its own built-in robot installed as its avatar; then the app runs
(``streamlit run app.py``, demo off) and Debian's Chromium opens the Dashboard once with an
empty cache, every tile scrolled into view. Playwright counts the bytes of every avatar image
response. "Before" is what the same tiles cost when each fetched the 512 px display WebP (the
URL without ``size=``), read from the same server in the same run. The first view comes
right after the avatars were made: WebP renditions made on the first request, AVIF still in the
background; ``--avif`` views again once the background made every tile's AVIF (minutes on two
shared cores). The last line is the one the README quotes.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from avatar_core.foundation.config import Settings  # noqa: E402
from avatar_core.providers.base import ImageRequest  # noqa: E402
from avatar_core.providers.builtin.renderer import render_robot  # noqa: E402
from avatar_core.service import AvatarService  # noqa: E402
from tests.browser_support import browsing, launch, wait_for_app  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

TILE = re.compile(r"/api/agents/[a-z0-9_-]+/avatar\?v=[0-9a-f]+(&size=\d+)?$")


def prepare(data_dir: Path, count: int) -> None:
    service = AvatarService(Settings.from_mapping({
        "AVATARS_DATA_DIR": str(data_dir), "AVATARS_DEMO": "0",
        "AVATARS_PROVIDER": "builtin"})).start(resume=False)
    try:
        for i in range(count):
            name = f"agent-{i:03d}"
            service.agents.register(name, display_name=f"Agent {i}")
            robot = render_robot(ImageRequest(kind="identity", agent_name=name,
                                              identity_prompt=name, prompt=name, seed=i))
            service.install_picture(name, robot, is_default=True)
    finally:
        service.close()


def one_view(server: LiveServer) -> tuple[int, int, int, dict[str, int]]:
    """(tiles, bytes now, bytes as 512 px WebP, responses by content type) of one cold view."""
    responses: list[Any] = []
    with launch() as browser, browsing(browser) as (_, page):
        page.on("response", lambda r: responses.append(r) if TILE.search(r.url) else None)
        page.goto(server.base + "/")
        wait_for_app(page)
        page.wait_for_function("() => document.querySelectorAll('.aa-tl img.aa-avatar').length")
        # in the page itself: the live fragment may redraw the tiles between two Playwright calls
        page.evaluate("() => document.querySelectorAll('.aa-tl img.aa-avatar')"
                      ".forEach(i => i.scrollIntoView())")
        page.wait_for_function("() => [...document.querySelectorAll('.aa-tl img.aa-avatar')]"
                               ".every(i => i.complete && i.naturalWidth > 0)", timeout=120_000)
        sizes = {r.url: len(r.body()) for r in responses if r.status == 200}
        kinds: dict[str, int] = {}
        for r in responses:
            kind = r.header_value("content-type") or "?"
            kinds[kind] = kinds.get(kind, 0) + 1
    before = sum(len(server.get(TILE.search(url).group(0).split("&")[0])[1])  # type: ignore[union-attr]
                 for url in sizes)
    return len(sizes), sum(sizes.values()), before, kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--avif", action="store_true",
                        help="also view again once the background made every tile's AVIF")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        prepare(data_dir, args.agents)
        server = LiveServer(data_dir, Path(tmp) / "server.log", AVATARS_DEMO="0")
        try:
            server.wait_for("health", lambda: server.get("/_stcore/health")[0] == 200,
                            time.monotonic() + 120)
            tiles, now, before, kinds = one_view(server)
            print(f"first view: {tiles} tiles {now} B vs {before} B as 512 px WebP "
                  f"({now / before:.3f}x) {kinds}")
            if args.avif:
                server.wait_for("every tile's AVIF", lambda: all(
                    server.request("GET", f"/api/agents/agent-{i:03d}/avatar?size=72", None,
                                   {"Accept": "image/avif"})[1].get("content-type")
                    == "image/avif" for i in range(args.agents)), time.monotonic() + 3600)
                tiles, now, before, kinds = one_view(server)
                print(f"with AVIF: {tiles} tiles {now} B ({now / before:.3f}x) {kinds}")
            print(f"timeline bytes: tiles={tiles} bytes={now} webp512_bytes={before} "
                  f"ratio={now / before:.3f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
