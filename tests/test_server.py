"""The real server: ``streamlit run app.py`` serves the dashboard and /api on one port.

Starts a subprocess on a free loopback port and talks HTTP to it: health, the demo agents
seeded at start, a generation with the built-in provider, GET then 304, a JSON 404, Streamlit's
own refusal of a raw traversal path, and a clean shutdown on SIGTERM.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avatar_core.blobs import TEMP_PREFIX
from avatar_core.demo import DEMO_AGENTS

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "server-test-admin-token"
STARTUP_S = 60.0
SHUTDOWN_S = 10.0

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A ``streamlit run app.py`` subprocess and a tiny HTTP client for it."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("AVATARS_", "GEMINI_", "GOOGLE_"))}
        env.update(AVATARS_DATA_DIR=str(data_dir), AVATARS_ADMIN_TOKEN=ADMIN,
                   AVATARS_PROVIDER="builtin", AVATARS_DEMO="1",
                   STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.log_path = log_path

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            sent = {**(headers or {})}
            if payload is not None:
                sent["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            return (response.status, {k.lower(): v for k, v in response.getheaders()},
                    response.read())
        finally:
            connection.close()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.output()}")
            try:
                if self.request("GET", "/_stcore/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not healthy in {STARTUP_S} s:\n{self.output()}")

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> int | None:
        try:
            if self.process.poll() is not None:
                return self.process.returncode
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SHUTDOWN_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        finally:
            self.log.close()
        return self.process.returncode


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data", tmp_path / "server.log")
    try:
        running.wait_healthy()
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

    returncode = server.stop()
    assert returncode is not None, f"no exit within {SHUTDOWN_S} s of SIGTERM"
    assert returncode in (0, -signal.SIGTERM), server.output()
    assert "Traceback" not in server.output()
    assert not list(server.data_dir.rglob(f"{TEMP_PREFIX}*"))
