"""Several replicas of the service on one PostgreSQL database and one S3 bucket (real servers).

Each "replica" here is a service of its own — its own engine, blob store client, worker, hot
cache and data directory — as two processes of the app would be; the SIGKILL take-over runs a
replica in a real subprocess. Provider calls are counted at the Gemini protocol server.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.renditions import ImageFormat
from avatar_core.storage.migrations import MIGRATIONS
from avatar_core.storage.s3_blobs import S3BlobStore
from avatar_core.storage.schema import agents, avatar_versions, job_items
from tests.gemini_server import GeminiStub
from tests.helpers import gemini_env, wait_until

pytestmark = pytest.mark.slow


def test_blobs_live_in_the_shared_bucket(make_service, tmp_path, cluster_env):
    a = make_service(tmp_path / "a", **cluster_env)
    b = make_service(tmp_path / "b", **cluster_env)
    assert isinstance(a.blobs, S3BlobStore)
    a.agents.register("atlas")
    version = a.generate("atlas", "a teal robot")
    # B has never seen this image, and has no local copy: it reads it from the bucket.
    assert not list((tmp_path / "b").rglob("*.webp"))
    assert b.images.avatar("atlas").digest == version.display_blob.split(".")[0]
    assert b.files.referenced() <= set(b.blobs.names())


def test_a_change_on_one_replica_is_served_at_once_by_the_other(make_service, tmp_path,
                                                                cluster_env):
    a = make_service(tmp_path / "a", **cluster_env)
    b = make_service(tmp_path / "b", **cluster_env)
    api_b = TestClient(create_api(lambda: b))
    a.agents.register("atlas")
    first = a.generate("atlas", "a teal robot")
    assert api_b.get("/agents/atlas/avatar").headers["etag"].strip('"') == (
        first.display_blob.split(".")[0])

    def served_from_memory() -> bool:  # once its display image is final (not provisional)
        api_b.get("/agents/atlas/avatar")
        return b.images.cached(("atlas", None, ImageFormat.WEBP)) is not None

    wait_until(served_from_memory, timeout=120)
    for change in range(3):  # generate, regenerate, restore: each is seen by B's next request
        if change == 0:
            latest = a.generate("atlas", "a crimson robot")
        elif change == 1:
            latest = a.regenerate("atlas")
        else:
            latest = a.restore("atlas", first.id)
        served = api_b.get("/agents/atlas/avatar")  # no waiting: the very next request
        assert served.headers["etag"].strip('"') == latest.display_blob.split(".")[0]
    a.remove_avatar("atlas")
    assert api_b.get("/agents/atlas/avatar").status_code == 404


def test_generations_for_one_agent_never_interleave_across_replicas(make_service, tmp_path,
                                                                    cluster_env):
    with GeminiStub(latency_s=0.15) as stub:
        options = gemini_env(stub, **cluster_env)
        a = make_service(tmp_path / "a", **options)
        b = make_service(tmp_path / "b", **options)
        for replica in (a, b):
            replica.work.shutdown()  # only the generations themselves call the provider
        a.agents.register("atlas")
        replicas = [a, b] * 5
        with ThreadPoolExecutor(max_workers=10) as pool:
            done = list(pool.map(lambda pair: pair[1].generate("atlas", f"robot {pair[0]}"),
                                 enumerate(replicas)))
        assert stub.max_in_flight == 1  # one at a time, across both replicas
        assert len(done) == 10 and len(a.versions("atlas")) == 10
        with a.engine.connect() as conn:
            current = conn.execute(sa.select(avatar_versions).join(
                agents, agents.c.current_version_id == avatar_versions.c.id)).one()
        assert current.id == max(v.id for v in done)  # the last to run is the current one
        assert a.images.avatar("atlas").digest == b.images.avatar("atlas").digest


def test_provider_calls_stay_within_the_concurrency_across_replicas(make_service, tmp_path,
                                                                    cluster_env):
    with GeminiStub(latency_s=0.3) as stub:
        options = gemini_env(stub, AVATARS_CONCURRENCY="2", **cluster_env)
        a = make_service(tmp_path / "a", **options)
        b = make_service(tmp_path / "b", **options)
        for i in range(10):
            a.agents.register(f"bot-{i}")
        job = b.generate_defaults()
        finished = a.work.wait(job.id, timeout=120)
        assert (finished.generated, finished.failed) == (10, 0)
        wait_until(lambda: all(a.emotions(f"bot-{i}").emotions == list(EMOTIONS)
                               for i in range(10)), timeout=180)
        assert stub.calls == 10 * 9  # every face and emotion exactly once
        assert stub.max_in_flight <= 2  # AVATARS_CONCURRENCY=2 for both replicas together


def test_replicas_starting_together_migrate_and_seed_once(make_service, tmp_path, cluster_env):
    barrier = threading.Barrier(3)
    started = []

    def start(name: str) -> None:
        barrier.wait()
        started.append(make_service(tmp_path / name, AVATARS_DEMO="1", **cluster_env))

    threads = [threading.Thread(target=start, args=(n,)) for n in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(started) == 3
    assert [len(s.agents.list()) for s in started] == [12, 12, 12]  # seeded once, seen by all
    with started[0].engine.connect() as conn:
        versions = conn.scalar(sa.select(sa.func.count()).select_from(
            sa.text("schema_migrations")))
        jobs = conn.scalar(sa.select(sa.func.count(sa.distinct(job_items.c.job_id))))
    assert versions == len(MIGRATIONS) and jobs == 1  # migrated once; one bulk job for the faces
    wait_until(lambda: all(a.has_avatar for a in started[0].agents.list()), timeout=180)


def test_a_dead_replicas_items_are_taken_over_without_redoing_finished_ones(
        make_service, tmp_path, cluster_env):
    from tests.test_crash import committed_faces, kill, start_child

    with GeminiStub(latency_s=0.4) as stub:
        options = gemini_env(stub, AVATARS_LEASE_S="5", AVATARS_CONCURRENCY="2", **cluster_env)
        child = start_child("bulk", tmp_path / "dead", stub.url, env=options)
        wait_until(lambda: stub.calls >= 4, timeout=60)
        kill(child)
        killed_at = time.monotonic()
        calls_at_kill = stub.calls
        done_at_kill = committed_faces(cluster_env["AVATARS_DATABASE_URL"])
        survivor = make_service(tmp_path / "alive", **options)
        job = survivor.latest_defaults_job()
        assert job is not None and not job.finished
        wait_until(lambda: stub.calls > calls_at_kill, timeout=60)
        took_over_s = time.monotonic() - killed_at
        finished = survivor.work.wait(job.id, timeout=120)
        print(f"take-over: first call for the dead replica's items {took_over_s:.1f} s after "
              f"the SIGKILL (lease 5 s); job done {time.monotonic() - killed_at:.1f} s after it")
        assert (finished.generated, finished.failed) == (12, 0)
        survivor.work.shutdown()
        faces_after = sum(1 for r in stub.requests[calls_at_kill:] if not r.parts[:-1])
        # Exactly the unfinished faces were drawn again; the dead replica's in-flight calls
        # (answered or not, never committed) are the only ones lost: at most its 2 slots.
        assert faces_after == 12 - done_at_kill
        assert calls_at_kill - done_at_kill <= 2 + 8  # faces in flight + emotions in flight
        assert took_over_s < 5 + 30  # the lease (5 s) and a claim round, with ample slack
