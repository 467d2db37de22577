"""The same service code on PostgreSQL (AVATARS_DATABASE_URL), against a real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from avatar_core.domain.emotions import EMOTIONS
from tests.helpers import wait_until, work_settled
from tests.postgres_server import PostgresServer, postgres_bin

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres():
    if postgres_bin() is None:
        pytest.fail("PostgreSQL is missing: sudo apt-get install postgresql (scripts/test does)")
    server = PostgresServer()
    yield server
    server.stop()


def test_service_runs_unchanged_on_postgresql(make_service, postgres):
    service = make_service(AVATARS_DATABASE_URL=postgres.url, AVATARS_DEMO="1",
                           AVATARS_ADMIN_TOKEN="pg-admin-token-for-tests")
    assert len(service.agents.list()) == 12
    demo_job = service.work.wait(service.latest_defaults_job().id, timeout=120)
    assert (demo_job.generated, demo_job.failed) == (12, 0)  # demo agents got their faces
    service.agents.register("atlas", "Atlas", "code-assistant")
    first = service.generate("atlas", "a teal robot")
    second = service.regenerate("atlas")
    assert [v.id for v in service.versions("atlas")] == [second.id, first.id]
    wait_until(lambda: service.emotions("atlas").emotions == list(EMOTIONS), timeout=120)
    service.agents.update("atlas", new_name="atlas-2")
    assert service.images.avatar("atlas-2").data[8:12] == b"WEBP"

    now = datetime.now(UTC)
    service.record_activity("atlas-2", started_at=now - timedelta(minutes=3), ended_at=now,
                            kind="chat", status="success", summary="hi")
    table = service.activities.frame(since=now - timedelta(hours=1))
    assert "atlas-2" in set(table["agent_name"])
    assert str(table["started_at"].dtype) == "datetime64[ns, UTC]"

    job = service.generate_defaults(wait=True)
    assert (job.generated, job.failed, job.skipped) == (0, 0, 13)  # custom or up to date
    _info, secret = service.tokens.create("ci")
    assert service.tokens.role_of(secret) == "editor"
    service.delete_agent("atlas-2")
    wait_until(lambda: work_settled(service), timeout=300)
    assert service.files.referenced() == set(service.blobs.names())
