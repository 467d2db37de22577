"""Known costs end to end: the price before the button, the daily budget, spend by kind.

Every provider call goes through the real google-genai client to ``GeminiStub``; the ledger is
the real ``provider_calls`` table of a SQLite file, read back with SQL. The day rollover is
tested by making the ledger's rows older, never by waiting for midnight.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.clock import utcnow
from avatar_core.foundation.errors import BadRequest, FailureReason, GenerationError
from avatar_core.foundation.models import JobStatus
from avatar_core.foundation.pricing import KNOWN_IMAGE_PRICES_USD, REFINE_PRICE_USD
from avatar_core.service import AvatarService
from avatar_core.storage.schema import job_items, jobs, provider_calls
from tests.gemini_server import GeminiStub
from tests.helpers import wait_until
from tests.postgres_server import PostgresServer, postgres_bin

ADMIN = "admin-secret-for-cost-tests"
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}
FLASH = KNOWN_IMAGE_PRICES_USD["gemini-3.1-flash-image"]  # 0.067
IMAGES_PER_AGENT = 1 + len(EMOTIONS)

ServiceFactory = Callable[..., AvatarService]


@pytest.fixture
def gemini(gemini: ServiceFactory) -> ServiceFactory:
    """Gemini services with an admin token."""
    return functools.partial(gemini, AVATARS_ADMIN_TOKEN=ADMIN)


def image_calls(stub: GeminiStub) -> int:
    return sum(1 for r in stub.requests if "image" in r.model)


def ledger(service: AvatarService) -> list[Any]:
    with service.engine.connect() as conn:
        return list(conn.execute(sa.select(provider_calls).order_by(provider_calls.c.id)))


def row_count(service: AvatarService, table: sa.Table) -> int:
    with service.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def age_ledger(service: AvatarService, days: float, where: Any = None) -> None:
    """Move ledger rows ``days`` into the past, as if they had been spent then."""
    with service.engine.connect() as conn:
        rows = conn.execute(sa.select(provider_calls.c.id, provider_calls.c.at)
                            .where(where if where is not None else sa.true())).all()
    with service.engine.begin() as conn:
        for row_id, at in rows:
            conn.execute(provider_calls.update().where(provider_calls.c.id == row_id)
                         .values(at=at - timedelta(days=days)))


def register(service: AvatarService, *names: str) -> None:
    for name in names:
        service.agents.register(name, description=f"{name} keeps the books")


# --- the price before the button ------------------------------------------------------------


def test_builtin_plan_is_free_and_lists_only_agents_without_a_custom_avatar(make_service):
    service = make_service()
    register(service, "atlas", "nova", "orion")
    service.work.shutdown()  # the custom avatar's emotions are not what this test is about
    service.generate("nova", "a custom purple robot")
    plan = service.work.bulk.plan()
    assert plan.agents == ["atlas", "orion"]
    assert plan.images == 2 * IMAGES_PER_AGENT == 18
    assert (plan.provider, plan.price_per_image_usd, plan.estimated_usd) == ("builtin", 0.0, 0.0)
    assert plan.price_known
    with pytest.raises(BadRequest, match="Batch mode needs Gemini"):  # as a real run answers
        service.work.bulk.plan(batch=True)


@pytest.mark.parametrize("options, price, face, known", [
    ({}, FLASH, FLASH, True),
    ({"AVATARS_PRICE_PER_IMAGE_USD": "0.05"}, 0.05, 0.05, True),
    ({"AVATARS_GEMINI_MODEL": "gemini-3-pro-image"}, 0.134, 0.134, True),
    # An unknown model is priced like the dearest known one, and says so.
    ({"AVATARS_GEMINI_MODEL": "gemini-9-ultra-image"}, 0.134, 0.134, False),
])
def test_gemini_plan_prices_every_image_exactly(gemini, stub, options, price, face, known):
    service = gemini(**options)
    register(service, "atlas", "nova", "orion")
    plan = service.work.bulk.plan()
    assert plan.agents == ["atlas", "nova", "orion"]
    assert plan.images == 27
    assert plan.price_per_image_usd == pytest.approx(price)
    assert plan.estimated_usd == pytest.approx(round(3 * (face + 8 * price), 4))
    assert plan.price_known is known
    batch = service.work.bulk.plan(batch=True)
    # batch mode halves the face; the eight emotions are drawn by normal calls
    assert batch.estimated_usd == pytest.approx(round(3 * (face / 2 + 8 * price), 4))
    assert batch.images == 27
    assert stub.calls == 0


def test_dry_run_through_the_api_answers_the_numbers_and_does_nothing(gemini, stub):
    service = gemini(AVATARS_PRICE_PER_IMAGE_USD="0.04")
    register(service, "atlas", "nova")
    client = TestClient(create_api(lambda: service))
    url = "/agents/avatars/generate-defaults"

    calls = client.post(f"{url}?dry_run=true", headers=ADMIN_AUTH)
    batch = client.post(f"{url}?dry_run=true&mode=batch", headers=ADMIN_AUTH)

    assert calls.status_code == 200, calls.text
    assert calls.json() == {
        "agents": ["atlas", "nova"], "images": 18, "price_per_image_usd": 0.04,
        "estimated_usd": 0.72, "provider": "gemini", "model": "gemini-3.1-flash-image",
        "price_known": True}
    assert batch.status_code == 200, batch.text
    assert batch.json()["estimated_usd"] == pytest.approx(2 * (0.02 + 8 * 0.04))
    assert batch.json()["images"] == 18
    # Nothing was called, queued or spent.
    assert stub.calls == 0
    assert service.latest_defaults_job() is None
    assert row_count(service, jobs) == row_count(service, job_items) == 0
    assert ledger(service) == []
    assert client.post(f"{url}?dry_run=true",
                       headers={"Authorization": "Bearer nope"}).status_code == 401


# --- every call reserves its cost first -----------------------------------------------------


def test_a_call_holds_its_cost_while_in_flight_and_a_failed_call_costs_nothing(gemini, stub):
    service = gemini(AVATARS_REFINE_PROMPT="off")
    service.work.shutdown()
    register(service, "atlas")
    stub.push("slow", delay_s=1.0)
    worker = threading.Thread(target=service.generate, args=("atlas", "a brass robot"))
    worker.start()
    wait_until(lambda: bool(ledger(service)))
    held = ledger(service)
    assert [(r.kind, r.settled, r.cost_usd) for r in held] == [("avatar", False, FLASH)]
    worker.join(timeout=60)
    assert [(r.kind, r.settled) for r in ledger(service)] == [("avatar", True)]

    stub.push("error", status=400, message="Bad prompt (stub).")
    with pytest.raises(GenerationError) as failed:
        service.generate("atlas", "another brass robot")
    assert failed.value.reason is FailureReason.INVALID_INPUT
    assert len(ledger(service)) == 1  # the refused call released what it held
    assert service.budget.summary().today["avatar"] == pytest.approx(FLASH)


# --- the daily budget: interactive -----------------------------------------------------------


def test_a_budget_of_n_images_lets_exactly_n_concurrent_generations_through(gemini):
    with GeminiStub(image_size=32, latency_s=0.3) as slow:
        service = gemini(GOOGLE_GEMINI_BASE_URL=slow.url, AVATARS_REFINE_PROMPT="off",
                         AVATARS_DAILY_BUDGET_USD=str(5 * FLASH))
        service.work.shutdown()  # emotions would spend too: only generations here
        names = [f"agent-{n:02d}" for n in range(12)]
        register(service, *names)
        outcomes = generate_at_once(dict.fromkeys(names, service))

        refused = [o for o in outcomes.values() if isinstance(o, GenerationError)]
        assert len(outcomes) == 12
        assert len(refused) == 7
        assert image_calls(slow) == 5
        assert len(ledger(service)) == 5
        assert service.budget.summary().spent_today == pytest.approx(5 * FLASH)
        for error in refused:
            assert error.reason is FailureReason.RATE_LIMITED
            assert "daily budget of $0.34 is spent" in error.detail
            assert "An admin can raise it" in error.detail


@pytest.mark.slow
def test_two_replicas_on_postgresql_share_one_budget(gemini, tmp_path):
    if postgres_bin() is None:
        pytest.fail("PostgreSQL is missing: sudo apt-get install postgresql (scripts/test does)")
    database = PostgresServer()
    try:
        with GeminiStub(image_size=32, latency_s=0.3) as slow:
            replicas = [gemini(tmp_path / f"replica-{n}", GOOGLE_GEMINI_BASE_URL=slow.url,
                               AVATARS_DATABASE_URL=database.url, AVATARS_REFINE_PROMPT="off",
                               AVATARS_DAILY_BUDGET_USD=str(4 * FLASH)) for n in range(2)]
            for replica in replicas:
                replica.work.shutdown()
            names = [f"agent-{n:02d}" for n in range(10)]
            register(replicas[0], *names)
            outcomes = generate_at_once(
                {name: replicas[n % 2] for n, name in enumerate(names)})
            refused = [o for o in outcomes.values() if isinstance(o, GenerationError)]
            assert (len(outcomes), len(refused), image_calls(slow)) == (10, 6, 4)
            assert {e.reason for e in refused} == {FailureReason.RATE_LIMITED}
            assert replicas[1].budget.summary().spent_today == pytest.approx(4 * FLASH)
            for replica in replicas:
                replica.close()
    finally:
        database.stop()


def generate_at_once(by_name: dict[str, AvatarService]) -> dict[str, object]:
    """Every agent's generation started at the same moment, each on its own thread."""
    start = threading.Barrier(len(by_name))
    outcomes: dict[str, object] = {}

    def generate(name: str) -> None:
        start.wait()
        try:
            outcomes[name] = by_name[name].generate(name, f"a robot called {name}")
        except GenerationError as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=generate, args=(name,)) for name in by_name]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_a_spent_budget_is_429_with_retry_after_and_who_can_raise_it(gemini, stub):
    service = gemini(AVATARS_REFINE_PROMPT="off", AVATARS_DAILY_BUDGET_USD=str(FLASH))
    service.work.shutdown()
    register(service, "atlas")
    client = TestClient(create_api(lambda: service))
    body = {"identity_prompt": "a brass robot"}
    first = client.post("/agents/atlas/avatar/generate", json=body, headers=ADMIN_AUTH)
    second = client.post("/agents/atlas/avatar/generate", json=body, headers=ADMIN_AUTH)
    again = client.post("/agents/atlas/avatar/regenerate", headers=ADMIN_AUTH)

    assert first.status_code == 200, first.text
    for refused in (second, again):
        assert refused.status_code == 429, refused.text
        found = refused.json()
        assert found["reason"] == "rate_limited" and found["hint"]
        assert "daily budget" in found["detail"] and "Settings" in found["detail"]
        assert "AVATARS_DAILY_BUDGET_USD" in found["detail"]
        midnight = (utcnow() + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        assert abs(int(refused.headers["Retry-After"])
                   - (midnight - utcnow()).total_seconds()) < 120
    assert image_calls(stub) == 1

    service.set_daily_budget(2 * FLASH)  # raised: the next call goes through at once
    assert client.post("/agents/atlas/avatar/regenerate",
                       headers=ADMIN_AUTH).status_code == 200
    assert image_calls(stub) == 2


def test_a_refinement_is_reserved_too_and_a_spent_budget_stops_it_first(gemini, stub):
    # room for one image and its refinement, then for two more refinements but no image
    service = gemini(AVATARS_REFINE_PROMPT="on",
                     AVATARS_DAILY_BUDGET_USD=str(FLASH + 3 * REFINE_PRICE_USD))
    service.work.shutdown()
    register(service, "atlas")
    service.generate("atlas", "a brass robot")
    assert [r.kind for r in ledger(service)] == ["refine", "avatar"]
    with pytest.raises(GenerationError) as refused:
        service.generate("atlas", "a copper robot")
    assert refused.value.reason is FailureReason.RATE_LIMITED
    assert stub.calls == 2  # one text call, one image call; nothing for the refused one
    assert len(ledger(service)) == 2  # no refinement paid for an image that cannot follow


# --- the daily budget: background work pauses and resumes ------------------------------------


def test_background_work_pauses_at_the_budget_and_resumes_when_it_is_raised(gemini):
    with GeminiStub(image_size=32, latency_s=0.2) as slow:
        service = gemini(GOOGLE_GEMINI_BASE_URL=slow.url, AVATARS_CONCURRENCY="4",
                         AVATARS_DAILY_BUDGET_USD=str(3 * FLASH))
        names = [f"agent-{n}" for n in range(6)]
        register(service, *names)
        client = TestClient(create_api(lambda: service))
        job = service.generate_defaults()

        wait_until(lambda: service.job_control.get(job.id).status is JobStatus.PAUSED
                   and service.work.idle())
        # four workers raced for six faces: exactly three were paid for
        assert image_calls(slow) == 3
        assert len(ledger(service)) == 3
        shown = client.get(f"/jobs/{job.id}", headers=ADMIN_AUTH).json()
        assert shown["status"] == "paused"
        assert shown["generated"] == 3 and shown["done"] == 3 and shown["total"] == 6
        assert "daily budget of $0.20 is spent" in shown["paused_reason"]
        midnight = (utcnow() + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                          microsecond=0)
        assert shown["resumes_at"] == midnight.isoformat()

        service.set_daily_budget(100.0)
        finished = service.generate_defaults(wait=True, timeout=120)
        assert finished.id == job.id
        assert finished.status is JobStatus.DONE and finished.generated == 6
        assert client.get(f"/jobs/{job.id}", headers=ADMIN_AUTH).json()["paused_reason"] is None
        wait_until(lambda: all(service.emotions(n).emotions == list(EMOTIONS)
                               for n in names), timeout=120)
        assert image_calls(slow) == 6 * IMAGES_PER_AGENT  # nothing was drawn twice


def test_paused_work_resumes_by_itself_the_next_utc_day(gemini, stub):
    service = gemini(AVATARS_DAILY_BUDGET_USD=str(2 * FLASH))
    register(service, "atlas", "nova", "orion", "vega")
    job = service.generate_defaults()
    wait_until(lambda: service.job_control.get(job.id).status is JobStatus.PAUSED
               and service.work.idle())
    assert service.job_control.get(job.id).generated == 2

    age_ledger(service, days=1)  # yesterday's spend: today's budget is whole again
    done = service.generate_defaults(wait=True, timeout=120)
    assert done.id == job.id and done.status is JobStatus.DONE and done.generated == 4
    spend = service.budget.summary()
    assert spend.today["default"] == pytest.approx(2 * FLASH)
    assert spend.last_30_days["default"] == pytest.approx(4 * FLASH)
    # the new faces' emotions wait for the next day's budget, as paused work
    assert service.budget.summary().spent_today <= 2 * FLASH + 1e-9


def test_a_pause_says_whether_the_budget_is_spent_or_too_small_for_the_next_step(gemini):
    service = gemini(AVATARS_REFINE_PROMPT="off", AVATARS_DAILY_BUDGET_USD="0.20")
    service.work.shutdown()
    register(service, "atlas")
    service.generate("atlas", "a brass robot")  # $0.067
    assert service.budget.pause(0.05) is None
    short = service.budget.pause(0.15)
    assert short is not None
    assert short.reason == ("The daily budget of $0.20 has $0.13 left today, less than the "
                            "next step's $0.15")
    service.set_daily_budget(FLASH)
    spent = service.budget.pause(FLASH)
    assert spent is not None and spent.reason == (
        "The daily budget of $0.07 is spent ($0.07 today)")


# --- spend by kind ---------------------------------------------------------------------------


def test_spend_today_and_over_30_days_by_kind(gemini, stub):
    service = gemini(AVATARS_REFINE_PROMPT="on")
    register(service, "atlas", "nova")
    service.generate("atlas", "a brass robot")  # refine + avatar, then 8 emotions
    wait_until(lambda: service.emotions("atlas").emotions == list(EMOTIONS))
    service.generate_defaults(wait=True, timeout=120)  # nova: a default, then 8 emotions
    wait_until(lambda: service.emotions("nova").emotions == list(EMOTIONS))

    spend = service.budget.summary()
    expected = {"avatar": FLASH, "emotion": 16 * FLASH, "default": FLASH,
                "refine": REFINE_PRICE_USD}
    assert spend.today == pytest.approx(expected)
    assert spend.last_30_days == pytest.approx(expected)
    assert spend.spent_today == pytest.approx(18 * FLASH + REFINE_PRICE_USD)
    assert spend.limit is None

    age_ledger(service, days=10, where=provider_calls.c.kind == "default")
    age_ledger(service, days=40, where=provider_calls.c.kind == "refine")
    spend = service.budget.summary()
    assert spend.today == pytest.approx({"avatar": FLASH, "emotion": 16 * FLASH,
                                         "default": 0.0, "refine": 0.0})
    assert spend.last_30_days == pytest.approx({"avatar": FLASH, "emotion": 16 * FLASH,
                                                "default": FLASH, "refine": 0.0})


def test_the_builtin_renderer_costs_nothing_and_no_budget_stops_it(make_service):
    service = make_service(AVATARS_DAILY_BUDGET_USD="0")
    register(service, "atlas", "nova")
    service.generate("atlas", "a brass robot")
    job = service.generate_defaults(wait=True, timeout=120)
    assert job.status is JobStatus.DONE and job.generated == 1
    assert service.budget.summary().spent_today == 0.0
    calls = ledger(service)  # the avatar, the default, and emotions under way
    assert len(calls) >= 2 and {r.cost_usd for r in calls} == {0.0}
