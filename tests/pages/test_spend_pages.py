"""Money on the Settings page through AppTest: the budget cleared back to the environment's,
Cancel on a job that waits, and a zip import that asks before queueing over $1 of emotions.

The service is configured through the environment as the real server is; Gemini is the real
google-genai client against ``GeminiStub``; the database is a real SQLite file.
"""

from __future__ import annotations

import pytest

from avatar_core import runtime
from avatar_core.foundation.models import JobStatus
from avatar_core.foundation.pricing import KNOWN_IMAGE_PRICES_USD
from tests import corpus
from tests.gemini_server import GeminiStub
from tests.page_helpers import (
    open_page,
    unescaped,
)
from tests.page_helpers import reset as _reset

KEY = "AIzaSyTEST-spend-pages-0123456789abcdefg"
FLASH = KNOWN_IMAGE_PRICES_USD["gemini-3.1-flash-image"]


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch):
    with GeminiStub(image_size=32) as stub:
        monkeypatch.setenv("AVATARS_PROVIDER", "gemini")
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", stub.url)
        _reset()
        yield stub


def shown(at) -> str:
    """The page's Markdown and alerts, tabs included, as a reader sees them."""
    return unescaped("\n".join(str(e.value) for e in
                                [*at.markdown, *at.info, *at.warning, *at.success]))



def test_a_saved_budget_is_cleared_back_to_the_environments(monkeypatch):
    monkeypatch.setenv("AVATARS_DAILY_BUDGET_USD", "7")
    _reset()
    at = open_page("app_pages/settings.py")
    assert "from AVATARS_DAILY_BUDGET_USD" in shown(at)
    at.number_input(key="settings_budget").set_value(0.0)
    next(b for b in at.button if b.label == "Save budget").click().run()
    assert runtime.shared_service().budget.summary().limit == 0.0  # $0: nothing paid goes out
    assert "saved in Settings" in shown(at)
    at.button(key="settings_budget_clear").click().run()
    spend = runtime.shared_service().budget.summary()
    assert (spend.limit, spend.source) == (7.0, "environment")
    assert "AVATARS_DAILY_BUDGET_USD applies again" in at.success[0].value


def test_cancel_stops_a_job_that_waits_for_the_budget(gemini, monkeypatch):
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    service.set_daily_budget(0.0)  # the job waits: nothing may be spent
    job = service.generate_defaults()
    at = open_page("app_pages/settings.py")
    assert "Paused" in shown(at)
    at.button(key=f"settings_cancel_job_{job.id}").click().run()
    assert service.job_control.get(job.id).status is JobStatus.CANCELLED
    assert "Cancelled. Generated 0, failed 0" in shown(at)
    assert not [r for r in gemini.requests if "image" in r.model]


def test_a_zip_import_over_a_dollar_of_emotions_asks_first(gemini):
    at = open_page("app_pages/settings.py")
    at.file_uploader(key="settings_import_file").set_value(
        ("agents.zip", corpus.agents_zip(4), "application/zip"))
    at.run()
    at.button(key="settings_import").click().run()
    asked = unescaped(at.warning[0].value)
    assert "4 pictures queue 32 emotion images" in asked and f"${32 * FLASH:,.2f}" in asked
    assert runtime.shared_service().agents.list() == []  # nothing imported yet
    at.button(key="settings_import_yes").click().run()
    assert "Imported 4 agent(s)" in unescaped(at.success[0].value)
    assert all(a.is_default_avatar for a in runtime.shared_service().agents.list())


def test_a_cheap_zip_import_goes_ahead_at_once(gemini):
    at = open_page("app_pages/settings.py")
    at.file_uploader(key="settings_import_file").set_value(
        ("agents.zip", corpus.agents_zip(1), "application/zip"))  # 8 emotions: about $0.54
    at.run()
    at.button(key="settings_import").click().run()
    assert not at.warning
    assert "Imported 1 agent(s)" in unescaped(at.success[0].value)
