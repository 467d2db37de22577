"""One AVATARS_SECRET_KEY for every replica: a replica with another one says so, and stops.

Two (and three) services at once on one real PostgreSQL database: the one whose secret cannot
open the key saved in Settings reports it on ``/api/health``, in its log and through the
provider's answer, and never draws with the environment's key or the built-in renderer.
"""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_core.foundation.errors import FailureReason, GenerationError
from tests.gemini_server import GeminiStub

SAVED = "AIzaSyTEST-saved-0123456789abcdefghijklm"
ENV_KEY = "AIzaSyTEST-env-0123456789abcdefghijklmno"


def test_a_replica_with_another_secret_says_so_and_never_switches_provider(
        make_service, cluster_env, stub: GeminiStub, caplog: pytest.LogCaptureFixture):
    options = {**cluster_env, "AVATARS_PROVIDER": "auto", "GOOGLE_GEMINI_BASE_URL": stub.url}
    first = make_service(AVATARS_SECRET_KEY="the cluster's one secret", **options)
    first.register_agent("atlas")
    first.save_gemini_key(SAVED)

    with caplog.at_level(logging.ERROR, logger="avatar_core"):
        other = make_service(AVATARS_SECRET_KEY="a secret of its own", GEMINI_API_KEY=ENV_KEY,
                             **options)
    logged = [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
    assert logged and "AVATARS_SECRET_KEY" in logged[0] and SAVED not in logged[0]

    health = TestClient(create_api(lambda: other)).get("/health").json()
    assert "AVATARS_SECRET_KEY" in health["saved_key_problem"]
    assert health["provider"] == "none (not_configured)"
    assert SAVED not in str(health) and ENV_KEY not in str(health)
    assert TestClient(create_api(lambda: first)).get("/health").json()[
        "saved_key_problem"] is None

    calls = len(stub.requests)
    with pytest.raises(GenerationError) as refused:
        other.generate("atlas", "a brass robot")
    assert refused.value.reason is FailureReason.NOT_CONFIGURED
    assert "AVATARS_SECRET_KEY" in refused.value.detail
    assert len(stub.requests) == calls  # neither the env key nor the robot renderer drew
    assert other.current_version("atlas") is None

    same = make_service(AVATARS_SECRET_KEY="the cluster's one secret", **options)
    assert same.saved_key_problem() is None
    version = same.generate("atlas", "a brass robot")
    assert version.provider == "gemini"
    assert stub.requests[-1].api_key == SAVED
