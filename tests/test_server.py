"""The real server: ``streamlit run app.py`` serves the dashboard and /api on one port.

Starts a subprocess on a free loopback port and talks HTTP to it: health, the demo agents
seeded at start, a generation with the built-in provider, GET then 304, a JSON 404, Streamlit's
own refusal of a raw traversal path, and a clean shutdown on SIGTERM.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from avatar_core.domain.demo import DEMO_AGENTS
from avatar_core.storage.blobs import TEMP_PREFIX
from tests.live_server import LiveServer

ADMIN = "server-test-admin-token"
STARTUP_S = 60.0
SHUTDOWN_S = 10.0

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    running = LiveServer(tmp_path / "data", tmp_path / "server.log", AVATARS_ADMIN_TOKEN=ADMIN)
    try:
        running.wait_healthy(STARTUP_S)
        yield running
    finally:
        running.stop()


def test_real_server_serves_api_and_shuts_down_cleanly(server):
    admin = {"Authorization": f"Bearer {ADMIN}"}

    # The demo agents are seeded when the server starts, not on the first page view.
    status, headers, body = server.request("GET", "/api/agents")
    assert status == 200 and headers["content-type"].startswith("application/json")
    listed = json.loads(body)
    assert sorted(a["name"] for a in listed) == sorted(a.name for a in DEMO_AGENTS)
    assert len(listed) == 12

    name = listed[0]["name"]
    status, _, body = server.request("POST", f"/api/agents/{name}/avatar/generate",
                                     {"identity_prompt": "a cheerful copper robot"}, admin)
    assert status == 200, body
    made = json.loads(body)
    assert made["agent_name"] == name and "?v=" in made["avatar_url"]

    status, headers, image = server.request("GET", made["avatar_url"])
    assert status == 200 and headers["content-type"] == "image/webp"
    assert image[:4] == b"RIFF" and image[8:12] == b"WEBP"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    status, again, body = server.request("GET", f"/api/agents/{name}/avatar",
                                         headers={"If-None-Match": headers["etag"]})
    assert status == 304 and body == b"" and again["etag"] == headers["etag"]

    status, headers, body = server.request("GET", "/api/nope")
    assert status == 404 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["detail"]

    status, _, body = server.request("POST", "/api/agents", {"name": "x"})
    assert status == 401 and json.loads(body)["detail"]

    # A raw traversal never reaches the API: Streamlit's path guard refuses it first.
    status, _, _ = server.request("GET", "/api/agents/../../etc/passwd")
    assert 400 <= status < 500
    status, _, _ = server.request("GET", "/api/agents/..%2F..%2Fetc/avatar")
    assert 400 <= status < 500

    returncode = server.stop(SHUTDOWN_S)
    assert returncode is not None, f"no exit within {SHUTDOWN_S} s of SIGTERM"
    assert returncode in (0, -signal.SIGTERM), server.output()
    assert "Traceback" not in server.output()
    assert not list(server.data_dir.rglob(f"{TEMP_PREFIX}*"))
