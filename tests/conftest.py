"""Fixtures every test gets: a machine-independent environment."""

from __future__ import annotations

import pytest

# Variables the google-genai SDK (or our config) would pick up from the developer's machine:
# a real key, a proxy endpoint or a Vertex switch must never leak into a test run.
_MACHINE_ENV = (
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_GENAI_HTTP_CLIENT",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test without keys, endpoint overrides or backend switches in the env."""
    for name in _MACHINE_ENV:
        monkeypatch.delenv(name, raising=False)
    # Without credentials boto3 would ask the cloud's instance metadata address: never in tests.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# --- services on real SQLite files ---------------------------------------------------------

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

from avatar_core.foundation.config import Settings  # noqa: E402
from avatar_core.service import AvatarService  # noqa: E402

ServiceFactory = Callable[..., AvatarService]


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator[ServiceFactory]:
    """Build started services on a SQLite file under tmp_path; all are closed at teardown."""
    made: list[AvatarService] = []

    def factory(data_dir: Path | None = None, *, resume: bool = True,
                **options: str) -> AvatarService:
        values = {"AVATARS_DATA_DIR": str(data_dir or tmp_path / "data"), "AVATARS_DEMO": "0",
                  "AVATARS_PROVIDER": "builtin", "AVATARS_CONCURRENCY": "4",
                  # Refinement adds a text call before each generation; its own tests turn it on.
                  "AVATARS_REFINE_PROMPT": "off"}
        values.update(options)
        service = AvatarService(Settings.from_mapping(values)).start(resume=resume)
        made.append(service)
        return service

    yield factory
    for service in made:
        service.close()


@pytest.fixture
def service(make_service: ServiceFactory) -> AvatarService:
    """A started service on an empty SQLite file with the built-in provider."""
    return make_service()


# --- real servers for several replicas: S3 (SeaweedFS) -------------------------------------

from tests.s3_server import S3Server  # noqa: E402


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One SeaweedFS S3 endpoint for the whole run (a few seconds to start); tests use their
    own buckets or prefixes on it."""
    with S3Server() as server:
        yield server


# --- real servers for several replicas: PostgreSQL -------------------------------------------

import itertools  # noqa: E402

from tests.postgres_server import PostgresServer, postgres_bin  # noqa: E402

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the run; tests take a fresh database each."""
    if postgres_bin() is None:
        pytest.fail("PostgreSQL is missing: sudo apt-get install postgresql (scripts/test does)")
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def cluster_env(postgres_server: PostgresServer, s3_server: S3Server,
                monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Settings for replicas sharing a fresh PostgreSQL database and a fresh S3 bucket.

    The AWS credentials go into the environment (boto3's standard chain reads them there), the
    rest is returned for ``make_service(**cluster_env)`` or a server's environment.
    """
    import sqlalchemy as sa

    name = f"replicas_{next(_databases)}"
    admin = sa.create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    bucket = s3_server.create_bucket(f"avatars-{name.replace('_', '-')}")
    for key, value in s3_server.env().items():
        monkeypatch.setenv(key, value)
    return {"AVATARS_DATABASE_URL": postgres_server.url.rsplit("/", 1)[0] + f"/{name}",
            "AVATARS_BLOB_URL": f"s3://{bucket}/avatars",
            "AWS_ENDPOINT_URL": s3_server.endpoint, "AWS_DEFAULT_REGION": "us-east-1"}


# --- the REST API in-process ----------------------------------------------------------------

from starlette.testclient import TestClient  # noqa: E402

ADMIN = "admin-secret-for-tests"  # the admin token of make_client's services
Client = tuple[TestClient, AvatarService]


@pytest.fixture
def make_client(make_service: ServiceFactory) -> Callable[..., Client]:
    """A TestClient over a fresh service (admin token ``ADMIN``); background work is off unless
    asked for.

    Emotion variants are CPU-heavy with the built-in renderer; tests that do not look at them
    stop the background work so that every generation costs only itself.
    """
    from avatar_api import create_api

    def factory(*, background: bool = False, **env: str) -> Client:
        env.setdefault("AVATARS_ADMIN_TOKEN", ADMIN)
        service = make_service(**env)
        if not background:
            service.work.shutdown()
        return TestClient(create_api(lambda: service)), service

    return factory


# --- the Gemini protocol server -------------------------------------------------------------

from tests.gemini_server import GeminiStub  # noqa: E402
from tests.helpers import gemini_env  # noqa: E402


@pytest.fixture
def stub() -> Iterator[GeminiStub]:
    """A Gemini protocol server answering small images; the SDK's cached clients are dropped
    before and after, so no test talks through another test's client."""
    from avatar_core.providers.gemini import close_clients

    close_clients()
    with GeminiStub(image_size=32) as server:
        yield server
    close_clients()


@pytest.fixture
def gemini(make_service: ServiceFactory, stub: GeminiStub) -> ServiceFactory:
    """Started services that draw with Gemini (the real SDK) against ``stub``; options as for
    ``make_service`` (``GOOGLE_GEMINI_BASE_URL=`` points one at another server)."""

    def factory(data_dir: Path | None = None, *, resume: bool = True,
                **options: str) -> AvatarService:
        return make_service(data_dir, resume=resume, **gemini_env(stub, **options))

    return factory


# --- the same test on SQLite and on PostgreSQL --------------------------------------------

from tests.databases import database_url, postgres  # noqa: E402, F401  (fixtures)
