"""Managing jobs over the API: the list of recent ones, cancelling one, and who got a face.

Real services on SQLite files and on PostgreSQL (a fresh database per test); a cancelled job's
in-flight face comes from the real google-genai client against ``GeminiStub`` answering slowly,
so the cancel lands while the call is out.
"""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_core.domain.jobs import CANCELLED_MESSAGE
from avatar_core.storage.schema import job_items
from tests.conftest import ADMIN
from tests.helpers import wait_until

AUTH = {"Authorization": f"Bearer {ADMIN}"}
KEY = "AIzaSyTEST-jobs-0123456789abcdefghijklmn"


def agents_named(service, *names: str) -> None:
    for name in names:
        service.agents.register(name, name.title(), "code-assistant")


def test_a_finished_jobs_get_carries_the_same_agents_as_the_wait_summary(make_client,
                                                                         database_url):
    client, service = make_client(background=True, **database_url)
    agents_named(service, "atlas", "nova", "orion")
    waited = client.post("/agents/avatars/generate-defaults?wait=true", headers=AUTH)
    assert waited.status_code == 200, waited.text
    job = client.get(f"/jobs/{waited.json()['job_id']}", headers=AUTH).json()
    assert job["status"] == "done"
    assert job["agents"] == waited.json()["agents"] == ["atlas", "nova", "orion"]


def test_jobs_are_listed_newest_first_filtered_and_paged(make_client, database_url):
    client, service = make_client(background=True, **database_url)
    agents_named(service, "atlas")
    ids = [service.generate_defaults(wait=True, timeout=120).id for _ in range(3)]

    first = client.get("/jobs?limit=2", headers=AUTH).json()
    assert [j["id"] for j in first["jobs"]] == ids[::-1][:2]
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    rest = client.get("/jobs?limit=2&offset=2", headers=AUTH).json()
    assert [j["id"] for j in rest["jobs"]] == [ids[0]]
    assert client.get("/jobs?status=done&kind=defaults", headers=AUTH).json()["total"] == 3
    assert client.get("/jobs?status=cancelled", headers=AUTH).json() == {
        "jobs": [], "total": 0, "limit": 20, "offset": 0}
    assert client.get("/jobs?status=running", headers=AUTH).json()["total"] == 0

    for bad in ("status=finished", "kind=emotions", "limit=0", "limit=101", "offset=-1"):
        answer = client.get(f"/jobs?{bad}", headers=AUTH)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["detail"].startswith("Malformed request")
    _info, editor = service.tokens.create("ci")
    assert client.get("/jobs", headers={"Authorization": f"Bearer {editor}"}).status_code == 403
    assert client.get("/jobs").status_code == 401
    assert client.post(f"/jobs/{ids[0]}/cancel",
                       headers={"Authorization": f"Bearer {editor}"}).status_code == 403


def test_cancel_skips_open_items_and_keeps_the_one_being_drawn(make_service, stub, database_url):
    service = make_service(AVATARS_PROVIDER="gemini", GEMINI_API_KEY=KEY,
                           GOOGLE_GEMINI_BASE_URL=stub.url, AVATARS_ADMIN_TOKEN=ADMIN,
                           AVATARS_CONCURRENCY="1", **database_url)
    client = TestClient(create_api(lambda: service))
    agents_named(service, "atlas", "nova", "orion", "vega")
    stub.push("slow", delay_s=3)  # atlas's face is out while the job is cancelled
    started = client.post("/agents/avatars/generate-defaults", headers=AUTH).json()
    wait_until(lambda: stub.calls >= 1, timeout=60)

    cancelled = client.post(f"/jobs/{started['id']}/cancel", headers=AUTH)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    wait_until(lambda: service.job_control.get(started["id"]).done == 4, timeout=120)

    job = client.get(f"/jobs/{started['id']}", headers=AUTH).json()
    assert (job["status"], job["generated"], job["skipped"], job["failed"]) == (
        "cancelled", 1, 3, 0)
    assert job["agents"] == ["atlas"]
    assert job["summary"].startswith("Cancelled. Generated 1")
    assert service.agents.get("atlas").is_default_avatar  # paid for, so kept
    assert not any(service.agents.get(n).has_avatar for n in ("nova", "orion", "vega"))
    faces = [r for r in stub.requests if "image" in r.model and not r.parts[0].get("inlineData")]
    assert len(faces) == 1  # no face was drawn after the cancel
    with service.engine.connect() as conn:  # the skipped items say why
        messages = set(conn.scalars(sa.select(job_items.c.message).where(
            job_items.c.job_id == started["id"], job_items.c.status == "skipped")))
    assert messages == {CANCELLED_MESSAGE}

    again = client.post(f"/jobs/{started['id']}/cancel", headers=AUTH)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"  # idempotent
    listed = client.get("/jobs?status=cancelled", headers=AUTH).json()
    assert [j["id"] for j in listed["jobs"]] == [started["id"]]
    # The next run is a new job: the cancelled one does not block it.
    assert service.generate_defaults().id != started["id"]


def test_cancelling_a_job_that_finished_by_itself_is_409(make_client, database_url):
    client, service = make_client(background=True, **database_url)
    agents_named(service, "atlas")
    job = service.generate_defaults(wait=True, timeout=120)
    answer = client.post(f"/jobs/{job.id}/cancel", headers=AUTH)
    assert answer.status_code == 409
    assert "already finished (done)" in answer.json()["detail"]
    assert client.post("/jobs/999/cancel", headers=AUTH).status_code == 404


def test_an_item_whose_drawer_died_after_the_cancel_is_skipped_on_restart(make_service,
                                                                          tmp_path,
                                                                          database_url):
    from datetime import timedelta

    from avatar_core.foundation.clock import utcnow

    data = tmp_path / "data"
    first = make_service(data, AVATARS_ADMIN_TOKEN=ADMIN, **database_url)
    first.work.shutdown()  # nothing draws: the claim below stands for a replica mid-call
    agents_named(first, "atlas", "nova")
    job_id = first.generate_defaults().id
    with first.engine.begin() as conn:
        conn.execute(job_items.update().where(job_items.c.job_id == job_id,
                                              job_items.c.agent_name == "atlas")
                     .values(owner="replica-that-dies", lease_until=utcnow()
                             + timedelta(minutes=5)))
    job = first.job_control.cancel(job_id)
    assert (job.done, job.skipped) == (1, 1)  # atlas is still being drawn
    with first.engine.begin() as conn:  # ... by a replica that died: its lease lapses
        conn.execute(job_items.update().where(job_items.c.job_id == job_id)
                     .values(lease_until=utcnow() - timedelta(seconds=1)))
    first.close()

    second = make_service(data, AVATARS_ADMIN_TOKEN=ADMIN, **database_url)
    job = second.job(job_id)
    assert (job.status.value, job.done, job.total, job.skipped) == ("cancelled", 2, 2, 2)
