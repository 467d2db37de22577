"""A provider's requested delay is honoured only within 1 s–15 min; nonsense is ignored.

Google's 429s come from ``GeminiStub`` through the real google-genai client, with a
``RetryInfo.retryDelay`` and a ``Retry-After`` header of our choosing: ``inf`` must not break
every later call, ``86400s`` must not stall background work for a day (nor be stored for one on
PostgreSQL), and garbage falls back to our own backoff.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_api.errors import retry_after_header
from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.clock import utcnow
from avatar_core.foundation.errors import (
    DELAY_MAX_S,
    FailureReason,
    GenerationError,
    bounded_delay,
)
from avatar_core.providers import ImageRequest
from avatar_core.providers.gemini import GeminiProvider
from avatar_core.storage.database import create_engine
from avatar_core.storage.migrations import migrate
from avatar_core.storage.schema import limiter_state
from avatar_core.work.cluster_limiter import ClusterLimiter
from avatar_core.work.limiter import AdaptiveLimiter
from tests.gemini_server import GeminiStub
from tests.helpers import wait_until

KEY = "AIzaSyTEST-delays-0123456789abcdefghijkl"
ADMIN = "admin-secret-for-delay-tests"


def request() -> ImageRequest:
    return ImageRequest(kind="identity", agent_name="atlas", identity_prompt="a robot",
                        prompt="a robot", seed=1)


def refused(stub: GeminiStub, **answer: str) -> GenerationError:
    """The error the provider raises for one scripted 429."""
    stub.push("rate_limited", **answer)
    with pytest.raises(GenerationError) as caught:
        GeminiProvider(KEY, base_url=stub.url, timeout_s=10).generate(request())
    assert caught.value.reason is FailureReason.RATE_LIMITED
    return caught.value


@pytest.mark.parametrize(("answer", "seconds"), [
    ({"retry_delay": "7s"}, 7.0),
    ({"retry_delay": "86400s"}, DELAY_MAX_S),
    ({"retry_delay": "0.2s"}, 1.0),
    ({"retry_delay": "inf", "retry_after": "inf"}, None),
    ({"retry_delay": "infs", "retry_after": "1e400"}, None),
    ({"retry_delay": "soon", "retry_after": "garbage"}, None),
    ({"retry_delay": "-5s", "retry_after": "-5"}, None),
    ({"retry_delay": "nan", "retry_after": "NaN"}, None),
    ({"retry_delay": "x", "retry_after": "86400"}, DELAY_MAX_S),
])
def test_the_real_sdks_429_delay_is_bounded_or_ignored(stub, answer, seconds):
    assert refused(stub, **answer).retry_after == seconds


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -1, "x", None, "1e999"])
def test_unusable_delays_are_none(value):
    assert bounded_delay(value) is None


def test_our_own_errors_are_bounded_too():
    def delay(seconds: float) -> float | None:
        return GenerationError(FailureReason.RATE_LIMITED, "x", retry_after=seconds).retry_after

    assert (delay(math.inf), delay(1e9)) == (None, 900.0)
    assert retry_after_header(math.inf) == "5"
    assert retry_after_header(0.2) == "1"


def test_an_infinite_delay_does_not_break_the_next_call(stub):
    limiter = AdaptiveLimiter(2)
    provider = GeminiProvider(KEY, base_url=stub.url, timeout_s=10)
    stub.push("rate_limited", retry_delay="inf", retry_after="inf")
    with pytest.raises(GenerationError):
        limiter.run(lambda: provider.generate(request()))
    started = time.monotonic()
    limiter.run(lambda: provider.generate(request()))  # used to raise OverflowError for good
    assert time.monotonic() - started < 30  # our own 1 s pause, not forever


def test_a_days_delay_pauses_the_limiter_for_at_most_15_minutes(stub):
    limiter = AdaptiveLimiter(2)
    error = refused(stub, retry_delay="86400s")
    limiter.on_failure(error)
    assert limiter._paused_until - time.monotonic() <= DELAY_MAX_S


def test_the_api_answers_429_not_500_for_an_infinite_delay(make_service, stub):
    service = make_service(AVATARS_PROVIDER="gemini", GEMINI_API_KEY=KEY,
                           GOOGLE_GEMINI_BASE_URL=stub.url, AVATARS_ADMIN_TOKEN=ADMIN)
    service.work.shutdown()
    service.agents.register("atlas", "Atlas", "code-assistant")
    for _ in range(3):  # every interactive attempt
        stub.push("rate_limited", retry_delay="inf", retry_after="inf")
    client = TestClient(create_api(lambda: service))
    answer = client.post("/agents/atlas/avatar/generate", json={"identity_prompt": "a robot"},
                         headers={"Authorization": f"Bearer {ADMIN}"})
    assert answer.status_code == 429, answer.text
    assert answer.json()["reason"] == "rate_limited"
    assert 1 <= int(answer.headers["Retry-After"]) <= 900


def test_background_emotions_carry_on_after_an_infinite_delay(make_service, stub):
    service = make_service(AVATARS_PROVIDER="gemini", GEMINI_API_KEY=KEY,
                           GOOGLE_GEMINI_BASE_URL=stub.url, AVATARS_CONCURRENCY="2")
    service.agents.register("atlas", "Atlas", "code-assistant")
    service.generate("atlas", "a brass robot")  # the first call is the face
    stub.push("rate_limited", retry_delay="inf", retry_after="inf")  # the first emotion's
    wait_until(lambda: service.emotions("atlas").emotions == list(EMOTIONS), timeout=180)
    images = [r for r in stub.requests if "image" in r.model]
    assert len(images) == 1 + 1 + len(EMOTIONS)  # the face, the refused call, the 8 drawn
    assert not service.emotions("atlas").failed


@pytest.mark.slow
def test_postgresql_stores_a_bounded_pause_and_cuts_an_old_long_one(postgres):
    engine = create_engine(postgres.url)
    migrate(engine)
    limiter = ClusterLimiter(engine, 2, "replica-a", lease_s=30)
    try:
        limiter.run(lambda: None)  # the shared state row exists
        limiter.on_failure(GenerationError(FailureReason.RATE_LIMITED, "429", retry_after=86400))
        with engine.connect() as conn:
            stored = conn.scalar(sa.select(limiter_state.c.paused_until))
        assert stored <= utcnow() + timedelta(seconds=DELAY_MAX_S + 5)

        day = utcnow() + timedelta(days=1)  # as an older version stored it
        with engine.begin() as conn:
            conn.execute(limiter_state.update().values(paused_until=day))
        slot, wait_s = limiter._try_claim()
        assert slot is None and wait_s <= DELAY_MAX_S
        with engine.connect() as conn:
            stored = conn.scalar(sa.select(limiter_state.c.paused_until))
        assert stored <= utcnow() + timedelta(seconds=DELAY_MAX_S + 5)
    finally:
        limiter.stop()
        engine.dispose()
