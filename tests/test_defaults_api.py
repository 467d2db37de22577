"""Bulk defaults through the API (``POST /agents/avatars/generate-defaults``): a bounded wait
answers 202 with the job, an agent deleted mid-run is skipped, a misspelled model is
``not_configured`` naming the model and its variable, and the summary keeps the seed system's
shape. The real google-genai client against ``GeminiStub``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from avatar_core.storage.schema import job_items
from tests import corpus
from tests.conftest import ADMIN, Client
from tests.gemini_server import GeminiStub
from tests.helpers import gemini_env, wait_until

AUTH = {"Authorization": f"Bearer {ADMIN}"}


# --- generate-defaults: bounded waits, deleted agents, a misspelled model, the summary -


@pytest.fixture
def gemini(make_client: Callable[..., Client]) -> Iterator[Callable[..., Client]]:
    """A client over a service drawing through the real SDK and ``GeminiStub``."""
    stubs: list[GeminiStub] = []

    def factory(stub: GeminiStub, **env: str) -> Client:
        stubs.append(stub)
        return make_client(background=True, **gemini_env(stub, AVATARS_CONCURRENCY="1", **env))

    yield factory
    for stub in stubs:
        stub.close()


def test_wait_answers_202_with_the_job_when_the_timeout_runs_out(gemini):
    client, service = gemini(GeminiStub(latency_s=3.0, image_size=32))
    service.agents.register("atlas")
    waited = client.post("/agents/avatars/generate-defaults",
                         params={"wait": "true", "timeout": "0.3"}, headers=AUTH)
    assert waited.status_code == 202, waited.text
    job = waited.json()
    assert waited.headers["location"] == job["status_url"] == f"/api/jobs/{job['id']}"
    assert job["status"] in {"queued", "running"}  # answered before the 3 s call ended
    wait_until(lambda: service.job_control.get(job["id"]).finished, timeout=60)
    service.agents.register("bolt")
    done = client.post("/agents/avatars/generate-defaults",
                       params={"wait": "true", "timeout": "60"}, headers=AUTH)
    assert done.status_code == 200, done.text
    assert done.json()["agents"] == ["bolt"]
    service.work.shutdown()


def test_deleting_an_agent_during_bulk_defaults_skips_it(gemini, caplog):
    stub = GeminiStub(latency_s=1.5, image_size=32)
    client, service = gemini(stub)
    for name in ("atlas", "bolt", "cato"):
        service.agents.register(name, description=f"marker-{name}")
    caplog.set_level(logging.INFO)
    job = client.post("/agents/avatars/generate-defaults", headers=AUTH).json()
    wait_until(lambda: stub.calls >= 1, timeout=60)
    asked = json.dumps([r.body for r in stub.requests])
    victim = next(name for name in ("atlas", "bolt", "cato") if f"marker-{name}" not in asked)
    deleted = client.delete(f"/agents/{victim}", headers=AUTH)  # not drawn yet: no lock held
    assert deleted.status_code == 200, deleted.text
    wait_until(lambda: service.job_control.get(job["id"]).finished, timeout=90)
    final = client.get(f"/jobs/{job['id']}", headers=AUTH).json()
    assert (final["status"], final["generated"], final["skipped"], final["failed"]) == (
        "done", 2, 1, 0)
    with service.engine.connect() as conn:
        skipped = dict(conn.execute(sa.select(job_items.c.agent_name, job_items.c.message).where(
            job_items.c.job_id == job["id"], job_items.c.status == "skipped")).all())
    assert skipped == {victim: "agent was deleted"}
    assert victim not in service.defaulted_agents(job["id"])
    service.work.shutdown()
    troubles = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not troubles, [r.getMessage() for r in troubles]


def test_a_misspelled_model_is_not_configured_naming_model_and_variable(gemini):
    stub = GeminiStub(image_size=32, known_models={"gemini-3.1-flash-image"})
    client, service = gemini(stub, AVATARS_GEMINI_MODEL="gemini-3.1-flash-imgae")
    service.work.shutdown()
    service.agents.register("atlas")
    answer = client.post("/agents/atlas/avatar/generate", json={"identity_prompt": "a robot"},
                         headers=AUTH)
    assert answer.status_code == 501, answer.text
    body = answer.json()
    assert body["reason"] == "not_configured" and body["hint"]
    assert "gemini-3.1-flash-imgae" in body["detail"] and "AVATARS_GEMINI_MODEL" in body["detail"]
    assert stub.calls == 1  # a setting to fix: not retried


def test_the_wait_summary_keeps_the_seed_systems_shape(gemini):
    stub = GeminiStub(image_size=32)
    client, service = gemini(stub)
    for name in ("atlas", "bolt"):
        service.agents.register(name)
    service.agents.register("custom")
    service.install_picture("custom", corpus.png())
    # Its emotion variants go first through the same stub: the scripted failure is for a face.
    wait_until(lambda: len(service.emotions("custom").emotions) == 8, timeout=90)
    stub.push("error", status=400, message="Image generation refused for this prompt")
    waited = client.post("/agents/avatars/generate-defaults", params={"wait": "true"},
                         headers=AUTH)
    assert waited.status_code == 200, waited.text
    summary = waited.json()
    assert {"generated", "failed", "skipped", "agents", "errors", "message"} <= set(summary)
    assert (summary["generated"], summary["failed"], summary["skipped"]) == (1, 1, 1)
    [error] = summary["errors"]
    assert set(error) == {"agent", "error", "reason", "message"}
    assert error["reason"] == "invalid_input" and error["error"] == error["message"]
    assert summary["agents"] == sorted({"atlas", "bolt"} - {error["agent"]})
    assert isinstance(summary["message"], str) and "invalid_input: 1" in summary["message"]
    service.work.shutdown()
