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
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test without keys, endpoint overrides or backend switches in the env."""
    for name in _MACHINE_ENV:
        monkeypatch.delenv(name, raising=False)


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


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``predicate`` (real background threads need real time); fail loudly on timeout."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


# --- real servers for several replicas: S3 (SeaweedFS) -------------------------------------

from tests.s3_server import S3Server  # noqa: E402


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One SeaweedFS S3 endpoint for the whole run (a few seconds to start); tests use their
    own buckets or prefixes on it."""
    with S3Server() as server:
        yield server
