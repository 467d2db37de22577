"""The daily budget end to end on a real server: bulk defaults pause at it, an interactive call
past it is 429 naming it, and the job resumes when the budget is raised — also after a restart.

The API runs under uvicorn in a subprocess (``tests.api_server``), on a SQLite file or on
PostgreSQL; Gemini is the real google-genai client in that process talking to ``GeminiStub``
in this one. Restarts are real: the server is stopped by its pid and started again.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from avatar_core.foundation.pricing import KNOWN_IMAGE_PRICES_USD
from tests.api_server import ApiServer

pytestmark = pytest.mark.slow

ADMIN = "admin-secret-for-budget-server"
KEY = "AIzaSyTEST-budget-server-0123456789abcd"
FLASH = KNOWN_IMAGE_PRICES_USD["gemini-3.1-flash-image"]
AGENTS = ("atlas", "nova", "orion", "vega")


def call(server: ApiServer, method: str, path: str, body: Any = None) -> tuple[int, Any, dict]:
    data = b"" if body is None else json.dumps(body).encode()
    answer = server.request(method, path, data, {"Authorization": f"Bearer {ADMIN}",
                                                 "Content-Type": "application/json"})
    return answer.status, json.loads(answer.body or b"null"), answer.headers


def until(server: ApiServer, what: str, predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached in {timeout:.0f} s\n{server.log()[-3000:]}")


def faces(stub) -> int:
    """Default faces asked of the provider (emotions carry the face as an inline image)."""
    return sum(1 for r in stub.requests if "image" in r.model
               and not any("inlineData" in p for p in r.parts))


def test_bulk_defaults_pause_at_the_budget_and_resume_when_raised_after_a_restart(
        tmp_path: Path, stub, database_url):
    env = {"AVATARS_PROVIDER": "gemini", "GEMINI_API_KEY": KEY,
           "GOOGLE_GEMINI_BASE_URL": stub.url, "AVATARS_ADMIN_TOKEN": ADMIN,
           "AVATARS_CONCURRENCY": "1", "AVATARS_DAILY_BUDGET_USD": f"{2 * FLASH:.4f}",
           **database_url}
    data = tmp_path / "data"
    server = ApiServer(data, tmp_path / "first.log", **env)
    try:
        for name in AGENTS:
            assert call(server, "POST", "/agents", {"name": name})[0] == 201
        status, job, _ = call(server, "POST", "/agents/avatars/generate-defaults")
        assert status == 202, job

        def paused() -> bool:
            found = call(server, "GET", f"/jobs/{job['id']}")[1]
            return found["status"] == "paused" and found["generated"] == 2

        until(server, "the job paused at the budget", paused)
        found = call(server, "GET", f"/jobs/{job['id']}")[1]
        assert "daily budget" in found["paused_reason"] and found["resumes_at"]
        assert faces(stub) == 2

        status, refused, headers = call(server, "POST", "/agents/atlas/avatar/generate",
                                        {"identity_prompt": "a brass robot"})
        assert status == 429 and refused["reason"] == "rate_limited"
        assert f"daily budget of ${2 * FLASH:.2f}" in refused["detail"]
        assert int(headers["retry-after"]) >= 1
    finally:
        server.stop()

    server = ApiServer(data, tmp_path / "second.log", **env)
    try:
        found = call(server, "GET", f"/jobs/{job['id']}")[1]
        assert (found["status"], found["generated"]) == ("paused", 2)  # still waiting
        listed = call(server, "GET", "/jobs?status=paused")[1]
        assert [j["id"] for j in listed["jobs"]] == [job["id"]]
        spend = call(server, "GET", "/spend")[1]
        assert spend["remaining_usd"] == pytest.approx(0.0, abs=1e-6)
        assert faces(stub) == 2  # nothing paid while paused, across the restart

        status, raised, _ = call(server, "PUT", "/budget", {"daily_budget_usd": 100})
        assert status == 200 and raised["budget_source"] == "settings"

        def done() -> bool:
            return call(server, "GET", f"/jobs/{job['id']}")[1]["status"] == "done"

        until(server, "the job finished once the budget was raised", done)
        found = call(server, "GET", f"/jobs/{job['id']}")[1]
        assert (found["generated"], found["failed"]) == (4, 0)
        assert found["agents"] == list(AGENTS)
        assert faces(stub) == 4  # each face paid once
    finally:
        server.stop()
