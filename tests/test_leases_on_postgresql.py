"""On PostgreSQL, a lock held across a provider call holds no pooled connection, and a result
is committed only by the worker that still holds the row's lease. Real PostgreSQL throughout.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from avatar_core.domain.emotions import ClaimedVariant
from avatar_core.foundation.models import Emotion, ItemStatus, JobKind
from avatar_core.providers.base import ImageRequest
from avatar_core.service import AvatarService
from avatar_core.storage.leases import Lease, LeaseLost, claim
from avatar_core.storage.schema import avatar_versions, emotion_variants, job_items
from avatar_core.work.generation import Produced
from tests.conftest import wait_until
from tests.postgres_server import PostgresServer

_names = itertools.count(1)


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    name = f"leases_{next(_names)}"
    admin = sa.create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_server.url.rsplit("/", 1)[0] + f"/{name}"


def on_postgres(make_service: Callable[..., AvatarService], url: str, **options: str
                ) -> AvatarService:
    service = make_service(AVATARS_DATABASE_URL=url, **options)
    service.work.shutdown()  # the test takes the worker's part itself
    return service


def test_agent_locks_held_across_calls_take_no_pooled_connection(make_service, database_url):
    service = on_postgres(make_service, database_url, AVATARS_CONCURRENCY="16")
    pool = service.engine.pool
    assert pool.size() == 16 + 8  # sized from AVATARS_CONCURRENCY
    held, release = threading.Barrier(21), threading.Event()

    def hold(agent_id: int) -> None:
        with service.locks.hold(agent_id):
            held.wait(timeout=60)
            release.wait(timeout=60)

    threads = [threading.Thread(target=hold, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    held.wait(timeout=60)  # 20 agents locked at once, as 20 provider calls would be
    try:
        # none of the 20 (the replica's own followers may be mid-query with one or two)
        assert pool.checkedout() <= 2
        with service.engine.connect() as conn:  # and the database is there for everyone else
            locks = conn.scalar(sa.text("SELECT count(*) FROM pg_locks WHERE locktype = "
                                        "'advisory' AND granted"))
        assert locks == 20
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=60)


def test_a_lapsed_owner_commits_neither_a_face_nor_an_emotion_twice(make_service, database_url):
    service = on_postgres(make_service, database_url)
    agent = service.register_agent("atlas")
    job_id = service.jobs.create(JobKind.DEFAULTS, [(agent.id, agent.name, ItemStatus.PENDING)])
    key = {"job_id": job_id, "agent_id": agent.id}
    where = sa.and_(job_items.c.job_id == job_id)
    assert claim(service.engine, job_items, where=where, order_by=[job_items.c.agent_id],
                 owner="replica-a", lease_s=0.05, limit=1)
    wait_until(lambda: bool(claim(service.engine, job_items, where=where,
                                  order_by=[job_items.c.agent_id], owner="replica-b",
                                  lease_s=60, limit=1)))  # a's lease lapsed: b took it over
    request = ImageRequest(kind="identity", agent_name="atlas", identity_prompt="a robot",
                           prompt="a robot", seed=1)
    image = service.providers.builtin.generate(request)
    produced = Produced(image.data, image.data)
    blobs_before = set(service.blobs.names())

    with pytest.raises(LeaseLost):
        service.generation.commit(agent.id, ("builtin", "robot"), request, produced, None,
                                  is_default=True, lease=Lease(job_items, key, "replica-a"))
    with service.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(avatar_versions)) == 0
    assert set(service.blobs.names()) > blobs_before  # a's image is kept as a blob
    service.generation.commit(agent.id, ("builtin", "robot"), request, produced, None,
                              is_default=True, lease=Lease(job_items, key, "replica-b"))
    with service.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(avatar_versions)) == 1

    version = service.current_version("atlas")
    assert version is not None and service.work.emotions.ensure(agent.id) == 8
    row = claim(service.engine, emotion_variants, where=emotion_variants.c.agent_id == agent.id,
                order_by=[emotion_variants.c.key], owner="replica-a", lease_s=0.05, limit=1)[0]
    wait_until(lambda: bool(claim(
        service.engine, emotion_variants, where=emotion_variants.c.key == row.key,
        order_by=[emotion_variants.c.key], owner="replica-b", lease_s=60, limit=1)))
    mine = ClaimedVariant(agent.id, row.key, Emotion(row.emotion), row.base_blob,
                          owner="replica-a")
    assert service.variants.finish(mine, "a.webp", "a.png") is False  # not ours any more
    theirs = ClaimedVariant(agent.id, row.key, Emotion(row.emotion), row.base_blob,
                            owner="replica-b")
    assert service.variants.finish(theirs, "b.webp", "b.png") is True
    assert service.variants.finish(theirs, "b.webp", "b.png") is False  # settled once
