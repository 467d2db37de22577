"""deploy/nginx.conf in Debian's nginx, in front of two real upstream servers.

Each upstream answers with its own name, so the tests see where nginx sent a request: a browser
keeps one replica for everything Streamlit (pages, /_stcore/*, the websocket, uploads, media)
through the route cookie, while /api spreads over both and survives one being down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.nginx_server import EchoUpstream, NginxServer

pytestmark = pytest.mark.slow

COOKIE = "aa_route"
STICKY_PATHS = ["/", "/dashboard", "/agent?name=ledger-bot", "/_stcore/health",
                "/_stcore/host-config", "/media/0123abcd.png", "/static/js/main.js"]
UPLOAD = 10 * 1024 * 1024  # the product's upload cap


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[EchoUpstream]]:
    logs = tmp_path_factory.mktemp("upstreams")
    started: list[EchoUpstream] = []
    try:
        for name in ("replica-a", "replica-b"):
            started.append(EchoUpstream(name, logs))
        yield started
    finally:
        for upstream in started:
            upstream.stop()


@pytest.fixture(scope="module")
def nginx(upstreams: list[EchoUpstream]) -> Iterator[NginxServer]:
    with NginxServer([upstream.port for upstream in upstreams]) as server:
        yield server


def browser(nginx: NginxServer) -> httpx.Client:
    """A fresh client with its own cookie jar, like a new browser."""
    return httpx.Client(base_url=nginx.base, timeout=30)


def upstream_of(response: httpx.Response) -> str:
    assert response.status_code == 200, f"{response.request.url} → {response.status_code}"
    return str(response.json()["upstream"])


def websocket_upstream(nginx: NginxServer, cookie: str) -> str:
    """The upstream a websocket with ``cookie`` reaches; checks it echoes through nginx."""
    url = nginx.base.replace("http://", "ws://") + "/_stcore/stream"
    with connect(url, additional_headers={"Cookie": f"{COOKIE}={cookie}"},
                 open_timeout=30) as websocket:
        name = str(websocket.recv(timeout=30))
        websocket.send("ping")
        assert websocket.recv(timeout=30) == f"{name}:ping"
        return name


def test_a_browser_without_the_cookie_gets_one(nginx):
    with browser(nginx) as client:
        response = client.get("/")
        upstream_of(response)
        set_cookie = response.headers["set-cookie"]
        assert set_cookie.startswith(f"{COOKIE}=")
        for attribute in ("Path=/", "HttpOnly", "SameSite=Lax"):
            assert attribute in set_cookie
        assert client.cookies.get(COOKIE)
        # With the cookie, nothing sets it again.
        assert "set-cookie" not in client.get("/dashboard").headers


def test_with_the_cookie_everything_streamlit_stays_on_one_replica(nginx):
    with browser(nginx) as client:
        first = upstream_of(client.get("/"))
        cookie = client.cookies[COOKIE]
        seen = Counter(upstream_of(client.get(path)) for path in STICKY_PATHS * 3)
        seen[upstream_of(client.post("/_stcore/upload_file/session-1/file-1",
                                     files={"file": ("a.png", b"png bytes")}))] += 1
        seen[websocket_upstream(nginx, cookie)] += 1
        seen[websocket_upstream(nginx, cookie)] += 1
    assert set(seen) == {first}, seen


def test_different_browsers_are_spread_over_the_replicas(nginx, upstreams):
    homes = set()
    for _ in range(30):  # all 30 random routes on one replica: odds 2 in a billion
        with browser(nginx) as client:
            home = upstream_of(client.get("/"))
            assert upstream_of(client.get("/_stcore/health")) == home
            homes.add(home)
    assert homes == {upstream.name for upstream in upstreams}


def test_api_requests_are_spread_over_every_replica(nginx, upstreams):
    with browser(nginx) as client:
        upstream_of(client.get("/"))  # a browser with its route cookie...
        responses = [client.get("/api/agents") for _ in range(20)]
    seen = Counter(upstream_of(response) for response in responses)
    # ...still has its API calls balanced round robin over both replicas.
    assert set(seen) == {upstream.name for upstream in upstreams}, seen
    assert min(seen.values()) >= 8, seen
    assert all("set-cookie" not in response.headers for response in responses)


@pytest.mark.parametrize("path", ["/_stcore/upload_file/session-1/file-2",
                                  "/api/agents/ledger-bot/avatar"])
def test_a_10_mb_upload_passes(nginx, path):
    image = bytes(range(256)) * (UPLOAD // 256)
    with browser(nginx) as client:
        response = client.post(path, files={"image": ("big.png", image, "image/png")})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["received"] > len(image)  # the image plus the form around it


def test_a_body_far_past_the_upload_cap_is_refused_by_nginx(nginx):
    with browser(nginx) as client:
        response = client.post("/_stcore/upload_file/s/f", content=b"x" * (20 * 1024 * 1024))
    assert response.status_code == 413


def test_api_gets_still_succeed_with_one_replica_down(tmp_path: Path):
    replicas = [EchoUpstream(name, tmp_path) for name in ("up", "down")]
    try:
        with NginxServer([replica.port for replica in replicas]) as server:
            with browser(server) as client:
                before = Counter(upstream_of(client.get("/api/agents")) for _ in range(4))
                assert set(before) == {"up", "down"}, before
                replicas[1].stop()
                after = [client.get(f"/api/agents/agent-{index}") for index in range(12)]
            assert [upstream_of(response) for response in after] == ["up"] * 12
    finally:
        for replica in replicas:
            replica.stop()
