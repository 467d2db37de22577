"""The whole cluster for real: nginx in front of two ``streamlit run app.py`` replicas sharing
PostgreSQL and SeaweedFS (S3), the Gemini protocol server behind them, Chromium in front.

What a platform team relies on: a change made through one replica is served by the other at
once; a replica SIGKILLed in the middle of bulk defaults or emotion variants costs time, not
work (the other takes its items over once their leases lapse, and redoes nothing finished);
ten generations for one agent spread over both replicas leave one consistent version; the
dashboard through nginx shows every avatar.
"""

from __future__ import annotations

import json
import secrets
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from avatar_core.domain.emotions import EMOTIONS
from avatar_core.storage.schema import agents, emotion_variants, job_items
from tests.gemini_server import GeminiStub
from tests.helpers import wait_until
from tests.live_server import LiveServer, request
from tests.nginx_server import NginxServer
from tests.postgres_server import PostgresServer
from tests.s3_server import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ADMIN = "cluster-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
START_S = 180.0
LEASE_S = 5  # the shortest lease the settings accept


class Cluster:
    """Two replicas (restartable), nginx, and the shared database to look into."""

    def __init__(self, root: Path, env: dict[str, str], database_url: str) -> None:
        self.root = root
        self.env = env
        self.database = sa.create_engine(database_url)
        self.replicas = [self._start(i) for i in range(2)]
        self.nginx = NginxServer([r.port for r in self.replicas])

    def _start(self, index: int) -> LiveServer:
        replica = LiveServer(self.root / f"replica-{index}", self.root / f"replica-{index}.log",
                             **self.env)
        replica.wait_healthy(START_S)
        return replica

    def revive(self) -> None:
        """Every replica running again (a test may have killed one, or failed before it
        restarted it), and nginx in front of them."""
        dead = [i for i, r in enumerate(self.replicas) if r.process.poll() is not None]
        for index in dead:
            self.replicas[index].stop()
            self.replicas[index] = self._start(index)
        if dead:
            self.nginx.stop()
            self.nginx = NginxServer([r.port for r in self.replicas])

    def kill(self, index: int) -> None:
        self.replicas[index].process.send_signal(signal.SIGKILL)
        self.replicas[index].process.wait(timeout=30)

    def api(self, replica: int | None, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """A request to one replica, or through nginx (``replica=None``)."""
        port = self.nginx.port if replica is None else self.replicas[replica].port
        return request(port, method, path, body, headers)

    def json(self, replica: int | None, method: str, path: str, body: Any = None) -> Any:
        status, _, data = self.api(replica, method, path, body, AUTH)
        assert status < 300, f"{method} {path} → {status}: {data[:300]!r}"
        return json.loads(data)

    def count(self, table: sa.Table, *where: Any) -> int:
        with self.database.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
                       or 0)

    def stop(self) -> None:
        self.nginx.stop()
        for replica in self.replicas:
            replica.stop()
        self.database.dispose()


def _fresh(postgres: PostgresServer, s3: S3Server, name: str) -> tuple[str, str]:
    admin = sa.create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres.url.rsplit("/", 1)[0] + f"/{name}", s3.create_bucket(name.replace("_", "-"))


@pytest.fixture(scope="module")
def stub() -> Iterator[GeminiStub]:
    with GeminiStub(latency_s=0.5) as server:
        yield server


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer,
            s3_server: S3Server, stub: GeminiStub) -> Iterator[Cluster]:
    database_url, bucket = _fresh(postgres_server, s3_server, "cluster_test")
    env = {
        **s3_server.env(), "AVATARS_DATABASE_URL": database_url,
        "AVATARS_BLOB_URL": f"s3://{bucket}/avatars", "AWS_EC2_METADATA_DISABLED": "true",
        "AVATARS_ADMIN_TOKEN": ADMIN, "AVATARS_DEMO": "0", "AVATARS_LEASE_S": str(LEASE_S),
        "AVATARS_PROVIDER": "gemini", "GEMINI_API_KEY": "cluster-key",
        "GOOGLE_GEMINI_BASE_URL": stub.url, "AVATARS_CONCURRENCY": "2",
        "AVATARS_REFINE_PROMPT": "off", "AVATARS_SECRET_KEY": secrets.token_hex(16),
        # One cookie secret for all replicas, as deploy/cluster sets it (XSRF cookies).
        "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16),
    }
    running = Cluster(tmp_path_factory.mktemp("cluster"), env, database_url)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def every_replica_running(cluster: Cluster) -> Iterator[None]:
    cluster.revive()
    yield


def digest_of(headers: dict[str, str]) -> str:
    return headers["etag"].strip('"')


def test_a_change_through_one_replica_is_served_by_the_other(cluster, stub):
    cluster.json(0, "POST", "/api/agents", {"name": "atlas", "display_name": "Atlas"})
    first = cluster.json(0, "POST", "/api/agents/atlas/avatar/generate",
                         {"identity_prompt": "a teal robot"})
    status, headers, _ = cluster.api(1, "GET", "/api/agents/atlas/avatar")
    assert status == 200
    assert first["avatar_url"].endswith(digest_of(headers)[:16])
    second = cluster.json(0, "POST", "/api/agents/atlas/avatar/regenerate")
    status, headers, body = cluster.api(1, "GET", "/api/agents/atlas/avatar")  # at once
    assert status == 200 and body[8:12] == b"WEBP"
    assert second["avatar_url"].endswith(digest_of(headers)[:16])


def test_ten_generations_for_one_agent_over_both_replicas_stay_consistent(cluster, stub):
    cluster.json(1, "POST", "/api/agents", {"name": "orbit"})
    stub.clear()

    def generate(index: int) -> dict[str, Any]:
        return cluster.json(index % 2, "POST", "/api/agents/orbit/avatar/generate",
                            {"identity_prompt": f"robot number {index}"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(generate, range(10)))
    versions = cluster.json(0, "GET", "/api/agents/orbit/avatar/versions")
    assert len(versions) == 10 and sum(v["current"] for v in versions) == 1
    current = next(v for v in versions if v["current"])
    assert current["id"] == max(a["version"] for a in answers)  # the last one to run won
    digests = {digest_of(cluster.api(i, "GET", "/api/agents/orbit/avatar")[1]) for i in (0, 1)}
    assert len(digests) == 1  # both replicas serve the same, current, image


def _bulk_agents(cluster: Cluster, prefix: str, count: int) -> None:
    for i in range(count):
        cluster.json(None, "POST", "/api/agents", {"name": f"{prefix}-{i:02d}"})


def _calls(stub: GeminiStub, words: str, *, emotions: bool) -> int:
    """Calls whose prompt mentions ``words``: emotion variants (they carry the base image) or
    faces (text only). Other agents' background work may be running at the same time."""
    return sum(1 for r in stub.requests
               if bool(r.parts[:-1]) == emotions and words in json.dumps(r.parts[-1]))


def test_a_killed_replica_costs_time_not_work_in_bulk_defaults(cluster, stub):
    _bulk_agents(cluster, "fleet", 14)
    stub.clear()
    job = cluster.json(None, "POST", "/api/agents/avatars/generate-defaults")
    wait_until(lambda: cluster.count(job_items, job_items.c.job_id == job["id"],
                                     job_items.c.status == "done") >= 3,
               every=0.1, message="the bulk job did not start")
    cluster.kill(0)
    faces_at_kill = _calls(stub, "fleet-", emotions=False)
    done_at_kill = cluster.count(job_items, job_items.c.job_id == job["id"],
                                 job_items.c.status == "done")
    wait_until(lambda: cluster.json(1, "GET", f"/api/jobs/{job['id']}")["status"] == "done",
               120, every=0.3, message="the other replica did not finish the job")
    final = cluster.json(1, "GET", f"/api/jobs/{job['id']}")
    assert (final["generated"], final["failed"]) == (14, 0)
    faces = _calls(stub, "fleet-", emotions=False)
    in_flight_at_kill = faces_at_kill - done_at_kill
    # After the kill exactly the unfinished faces were drawn, plus at most those in flight then.
    assert 14 - done_at_kill <= faces - done_at_kill <= 14 - done_at_kill + in_flight_at_kill
    # Each replica works on at most AVATARS_CONCURRENCY (2) items at a time: the dead one's
    # unfinished items are the only ones drawn twice.
    assert in_flight_at_kill <= 2 + 2 and faces - 14 <= 2


def test_a_killed_replica_costs_time_not_work_in_emotion_variants(cluster, stub):
    cluster.json(None, "POST", "/api/agents", {"name": "moody"})
    stub.clear()
    cluster.json(1, "POST", "/api/agents/moody/avatar/generate",
                 {"identity_prompt": "a robot with many moods"})
    moody = sa.select(agents.c.id).where(agents.c.name == "moody").scalar_subquery()
    wait_until(lambda: cluster.count(emotion_variants, emotion_variants.c.agent_id == moody,
                                     emotion_variants.c.status == "done") >= 2,
               120, every=0.1, message="no emotion variant was drawn")
    cluster.kill(1)
    emotion_calls_at_kill = _calls(stub, "many moods", emotions=True)
    wait_until(lambda: cluster.json(0, "GET", "/api/agents/moody/avatar/emotions")["emotions"]
               == list(EMOTIONS), 120, every=0.3,
               message="the other replica did not finish the emotions")
    emotion_calls = _calls(stub, "many moods", emotions=True)
    assert 8 <= emotion_calls <= 8 + 2  # each variant once, plus at most the 2 in flight
    assert emotion_calls >= emotion_calls_at_kill


def test_the_dashboard_through_nginx_shows_every_avatar(cluster, stub):
    from playwright.sync_api import sync_playwright

    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    names = [a["name"] for a in cluster.json(None, "GET", "/api/agents")]
    assert names and all(a["has_avatar"] for a in cluster.json(None, "GET", "/api/agents"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(cluster.nginx.base + "/")
            page.wait_for_function(
                "n => [...document.querySelectorAll('.aa-tl img.aa-avatar')]"
                ".filter(i => i.complete && i.naturalWidth > 0).length >= n",
                arg=min(len(names), 50))
            sources = page.eval_on_selector_all(".aa-tl img.aa-avatar",
                                                "els => els.map(e => e.src)")
            assert len(sources) == min(len(names), 50)
            assert all("/api/agents/" in src and "?v=" in src for src in sources)
            assert "aa_route" in {c["name"] for c in page.context.cookies()}  # sticky session
        finally:
            browser.close()
