"""Failed token checks are rate-limited per client address, for the API and the UI unlock.

After a burst of wrong tokens, every token-bearing request from that address answers 429 with
a usable ``Retry-After`` without its token being looked at (so the limit is no oracle); the
right token works once the window has passed; each failure is logged, never the token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_core import runtime
from avatar_core.domain.auth_failures import FAILURE_LIMIT
from avatar_core.foundation.clock import utcnow
from avatar_core.service import AvatarService
from tests.conftest import ADMIN, Client, ServiceFactory
from tests.page_helpers import open_page
from tests.page_helpers import reset as reset_app

WRONG = "wrong-token-never-logged-0123456789"
NEW_AGENT = {"name": "atlas", "display_name": "Atlas"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def short_window(make_client: Callable[..., Client]) -> Client:
    client, service = make_client()
    service.tokens.failures.window = timedelta(seconds=2)  # the minute, shortened for tests
    return client, service


def test_forty_wrong_tokens_meet_a_429_and_the_right_token_works_after_retry_after(
        short_window: Client, caplog: pytest.LogCaptureFixture) -> None:
    client, _service = short_window
    caplog.set_level(logging.WARNING)
    statuses, retry_after = [], ""
    for _ in range(40):
        answer = client.post("/agents", json=NEW_AGENT, headers=bearer(WRONG))
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            retry_after = answer.headers["retry-after"]
            assert "try again in" in answer.json()["detail"]
    assert statuses[:FAILURE_LIMIT - 1] == [401] * (FAILURE_LIMIT - 1)
    assert statuses[FAILURE_LIMIT - 1:] == [429] * (41 - FAILURE_LIMIT)
    assert 1 <= int(retry_after) <= 2

    # While shut out, the right token is not even looked at: the same 429, no oracle.
    refused = client.post("/agents", json=NEW_AGENT, headers=bearer(ADMIN))
    assert refused.status_code == 429 and refused.json() == {
        "detail": refused.json()["detail"]} and "try again in" in refused.json()["detail"]
    assert client.get("/agents").status_code == 200  # no token, nothing to guess: served

    time.sleep(int(refused.headers["retry-after"]))  # what a client told to wait does
    assert client.post("/agents", json=NEW_AGENT, headers=bearer(ADMIN)).status_code == 201
    assert "Failed API token check from testclient" in caplog.text
    assert WRONG not in caplog.text and ADMIN not in caplog.text


def test_wrong_tokens_on_reads_count_too_and_other_addresses_are_not_shut_out(
        short_window: Client) -> None:
    client, service = short_window
    service.tokens.failures.window = timedelta(minutes=1)
    for _ in range(FAILURE_LIMIT):
        client.get("/agents/atlas/avatar/identity", headers=bearer(WRONG))
    answer = client.get("/agents", headers=bearer(ADMIN))
    assert answer.status_code == 429 and 50 <= int(answer.headers["retry-after"]) <= 60
    other = TestClient(create_api(lambda: service), client=("10.0.0.7", 40000))
    assert other.post("/agents", json=NEW_AGENT, headers=bearer(ADMIN)).status_code == 201


def test_a_burst_on_one_replica_shuts_the_address_out_on_another(
        make_service: ServiceFactory, tmp_path: object) -> None:
    one = make_service(AVATARS_ADMIN_TOKEN=ADMIN)
    other = make_service(AVATARS_ADMIN_TOKEN=ADMIN)  # the same database: another replica
    first = TestClient(create_api(lambda: one))
    for _ in range(FAILURE_LIMIT):
        first.post("/agents", json=NEW_AGENT, headers=bearer(WRONG))
    second = TestClient(create_api(lambda: other))
    answer = second.post("/agents", json=NEW_AGENT, headers=bearer(ADMIN))
    assert answer.status_code == 429, answer.text


def test_the_right_token_resets_nothing_but_works_below_the_limit(short_window: Client) -> None:
    client, _service = short_window
    for _ in range(FAILURE_LIMIT - 2):
        assert client.post("/agents", json=NEW_AGENT, headers=bearer(WRONG)).status_code == 401
    assert client.post("/agents", json=NEW_AGENT, headers=bearer(ADMIN)).status_code == 201


def test_demo_mode_counts_nothing(make_client: Callable[..., Client]) -> None:
    client, _service = make_client(AVATARS_ADMIN_TOKEN="")
    for _ in range(2 * FAILURE_LIMIT):
        assert client.post("/agents", json=NEW_AGENT, headers=bearer(WRONG)).status_code == 401


def test_the_settings_unlock_is_limited_too_and_says_how_long_to_wait(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", "s3cret-admin")
    reset_app()
    service: AvatarService = runtime.shared_service()
    at = open_page("app_pages/settings.py")
    for _ in range(FAILURE_LIMIT - 1):
        at.text_input(key="settings_unlock_token").input("wrong")
        next(b for b in at.button if b.label == "Unlock").click().run()
        assert "not the admin token" in at.error[0].value
    at.text_input(key="settings_unlock_token").input("wrong")
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert "try again in 60 s" in at.error[0].value
    at.text_input(key="settings_unlock_token").input("s3cret-admin")  # right, but shut out
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert "try again in" in at.error[0].value
    assert not [b for b in at.button if b.key == "settings_defaults"]
    later = utcnow() + timedelta(minutes=1, seconds=1)
    service.tokens.failures.clock = lambda: later  # the window has passed
    at.text_input(key="settings_unlock_token").input("s3cret-admin")
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert at.button(key="settings_defaults")
