"""Lock voids every half-confirmed write: a delete, remove or generate confirmation (or the
Generate dialog) opened while unlocked is gone once the session is locked."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from avatar_core import runtime
from tests.page_helpers import open_page
from tests.page_helpers import reset as reset_app

TOKEN = "s3cret-admin-for-locks"
DETAIL = "app_pages/agent_detail.py"
SETTINGS = "app_pages/settings.py"


def keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def unlocked_at(page: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", TOKEN)
    reset_app()
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    service.generate("atlas", "a calm brass robot")
    at = open_page(SETTINGS)
    at.text_input(key="settings_unlock_token").input(TOKEN)
    next(b for b in at.button if b.label == "Unlock").click().run()
    at.switch_page(page)
    at.query_params["agent"] = "atlas"
    return at.run()


def lock(at: AppTest) -> None:
    at.switch_page(SETTINGS).run()
    at.button(key="settings_lock").click().run()


def test_a_remove_confirmation_does_not_survive_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    at = unlocked_at(DETAIL, monkeypatch)
    at.button(key="detail_remove").click().run()
    assert "detail_remove_yes" in keys(at)
    lock(at)
    at.switch_page(DETAIL)
    at.query_params["agent"] = "atlas"
    at.run()
    assert "detail_remove_yes" not in keys(at)
    assert "detail_dialog_for" not in at.session_state


def test_a_delete_confirmation_does_not_survive_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    at = unlocked_at(SETTINGS, monkeypatch)
    at.button(key="settings_delete").click().run()
    assert "settings_delete_yes" in keys(at)
    lock(at)
    assert "settings_delete_yes" not in keys(at)
    assert "settings_confirm_delete" not in at.session_state
