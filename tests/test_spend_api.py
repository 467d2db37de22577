"""Spend and the daily budget over the API, and the money the budget used to leak.

Real services on SQLite files and on PostgreSQL (a fresh database per test); every paid call
goes through the real google-genai client to ``GeminiStub``; the ledger is read back with SQL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_core.foundation.clock import utcnow
from avatar_core.foundation.errors import FailureReason, GenerationError
from avatar_core.foundation.pricing import KNOWN_IMAGE_PRICES_USD, CallKind
from avatar_core.storage.schema import provider_calls, settings_kv
from avatar_core.work.budget import BudgetSpent
from tests import corpus
from tests.conftest import ADMIN

AUTH = {"Authorization": f"Bearer {ADMIN}"}
KEY = "AIzaSyTEST-spend-0123456789abcdefghijklm"
FLASH = KNOWN_IMAGE_PRICES_USD["gemini-3.1-flash-image"]


@pytest.fixture
def paid(make_service, stub, database_url):
    """A service drawing with Gemini against the stub, background work off, and its client."""

    def factory(**env: str):
        service = make_service(AVATARS_PROVIDER="gemini", GEMINI_API_KEY=KEY,
                               GOOGLE_GEMINI_BASE_URL=stub.url, AVATARS_ADMIN_TOKEN=ADMIN,
                               **database_url, **env)
        service.work.shutdown()
        service.agents.register("atlas", "Atlas", "code-assistant")
        return service, TestClient(create_api(lambda: service))

    return factory


def ledger(service):
    with service.engine.connect() as conn:
        return list(conn.execute(sa.select(provider_calls).order_by(provider_calls.c.id)))


def test_spend_reports_today_30_days_the_budget_and_what_is_left(paid):
    service, client = paid(AVATARS_DAILY_BUDGET_USD="1")
    service.generate("atlas", "a brass robot")
    spend = client.get("/spend", headers=AUTH).json()
    assert spend["today_usd"] == pytest.approx(FLASH)
    assert spend["today_by_kind"]["avatar"] == pytest.approx(FLASH)
    assert spend["last_30_days_by_kind"]["avatar"] == pytest.approx(FLASH)
    assert len(spend["days"]) == 30 and spend["days"][-1]["day"] == utcnow().date().isoformat()
    assert spend["days"][-1]["total_usd"] == pytest.approx(FLASH)
    assert sum(d["total_usd"] for d in spend["days"][:-1]) == 0
    assert (spend["daily_budget_usd"], spend["budget_source"]) == (1.0, "environment")
    assert spend["remaining_usd"] == pytest.approx(1 - FLASH)
    assert client.get("/spend").status_code == 401


def test_a_saved_budget_overrides_the_environment_until_cleared(paid):
    service, client = paid(AVATARS_DAILY_BUDGET_USD="10")
    saved = client.put("/budget", json={"daily_budget_usd": 2.5}, headers=AUTH)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["daily_budget_usd"], saved.json()["budget_source"]) == (2.5, "settings")
    assert service.budget.summary().limit == 2.5  # the same setting as Settings

    zero = client.put("/budget", json={"daily_budget_usd": 0}, headers=AUTH).json()
    assert (zero["daily_budget_usd"], zero["remaining_usd"]) == (0.0, 0.0)  # $0 is a budget
    with pytest.raises(BudgetSpent):
        service.generate("atlas", "a brass robot")

    cleared = client.put("/budget", json={"daily_budget_usd": None}, headers=AUTH).json()
    assert (cleared["daily_budget_usd"], cleared["budget_source"]) == (10.0, "environment")
    assert cleared["environment_budget_usd"] == 10.0
    service.generate("atlas", "a brass robot")


def test_no_budget_saved_as_empty_text_by_older_versions_means_the_environments(paid):
    service, client = paid(AVATARS_DAILY_BUDGET_USD="3")
    with service.engine.begin() as conn:  # how "0 = no budget" used to be saved, for good
        conn.execute(settings_kv.insert().values(name="daily_budget_usd", value=""))
    spend = client.get("/spend", headers=AUTH).json()
    assert (spend["daily_budget_usd"], spend["budget_source"]) == (3.0, "environment")


@pytest.mark.parametrize("body", [
    {"daily_budget_usd": -1}, {"daily_budget_usd": 1e7}, {"daily_budget_usd": "ten"}, {},
    {"daily_budget_usd": 1, "extra": 2}, [1], {"daily_budget_usd": True},
])
def test_a_bad_budget_is_422_and_changes_nothing(paid, body):
    service, client = paid()
    answer = client.put("/budget", json=body, headers=AUTH)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith("Malformed request")
    assert service.budget.summary().source == "none"


def test_not_a_number_and_infinity_are_refused(paid):
    service, client = paid()
    for raw in (b'{"daily_budget_usd": NaN}', b'{"daily_budget_usd": Infinity}', b"{"):
        answer = client.put("/budget", content=raw, headers={
            **AUTH, "Content-Type": "application/json"})
        assert answer.status_code == 422, (raw, answer.text)
    _info, editor = service.tokens.create("ci")
    answer = client.put("/budget", json={"daily_budget_usd": 5},
                        headers={"Authorization": f"Bearer {editor}"})
    assert answer.status_code == 403
    assert service.budget.summary().source == "none"


def test_an_interactive_call_past_the_budget_is_429_naming_it(paid, stub):
    _service, client = paid()
    client.put("/budget", json={"daily_budget_usd": FLASH}, headers=AUTH)
    body = {"identity_prompt": "a brass robot"}
    assert client.post("/agents/atlas/avatar/generate", json=body, headers=AUTH).status_code == 200
    refused = client.post("/agents/atlas/avatar/generate", json=body, headers=AUTH)
    assert refused.status_code == 429
    assert refused.json()["reason"] == "rate_limited"
    assert f"daily budget of ${FLASH:.2f}" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert sum(1 for r in stub.requests if "image" in r.model) == 1


def test_a_call_that_timed_out_counts_as_spent(paid, stub):
    service, _client = paid(AVATARS_GEMINI_TIMEOUT_S="1")
    for _ in range(3):  # every interactive attempt outlives the timeout
        stub.push("slow", delay_s=4)
    with pytest.raises(GenerationError) as caught:
        service.generate("atlas", "a brass robot")
    assert caught.value.reason is FailureReason.TIMEOUT
    rows = ledger(service)
    assert [(r.kind, r.settled) for r in rows] == [("avatar", True)] * len(rows)
    assert len(rows) >= 2  # Google may have drawn and billed each of them
    assert service.budget.summary().spent_today == pytest.approx(len(rows) * FLASH)


def test_a_reservation_holds_money_until_settled_or_released(paid):
    service, _client = paid()
    budget = service.budget
    budget.set_limit(1.0)
    held = budget.reserve(0.6, CallKind.DEFAULT, "gemini", "gemini-3.1-flash-image")
    with pytest.raises(BudgetSpent):
        budget.reserve(0.6, CallKind.DEFAULT)
    assert budget.reservation(held.id) is not None  # found again, e.g. after a restart
    held.release()
    assert budget.reservation(held.id) is None
    again = budget.reserve(0.6, CallKind.DEFAULT)
    again.settle(0.3)  # the real cost, known afterwards
    assert service.budget.summary().spent_today == pytest.approx(0.3)
    assert budget.reservation(again.id) is None
    again.release()  # a settled reservation is spent: releasing it changes nothing
    assert service.budget.summary().spent_today == pytest.approx(0.3)



def test_a_zip_import_prices_the_emotion_calls_it_queues(paid):
    service, client = paid()
    answer = client.post("/agents/import", files={"file": ("agents.zip", corpus.agents_zip(3))},
                         headers=AUTH)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["imported"] == ["agent-0", "agent-1", "agent-2"]
    assert found["emotions_queued"] == 24
    assert found["estimated_usd"] == pytest.approx(24 * FLASH)
    assert len(service.emotions("agent-0").pending) == 8


def test_a_zip_import_with_the_builtin_renderer_queues_nothing_paid(make_client, database_url):
    client, _service = make_client(**database_url)
    found = client.post("/agents/import", files={"file": ("agents.zip", corpus.agents_zip(2))},
                        headers=AUTH).json()
    assert (found["emotions_queued"], found["estimated_usd"]) == (0, 0.0)
