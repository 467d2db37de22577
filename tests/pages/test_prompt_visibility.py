"""Agent Detail shows identity and refined prompts only to an unlocked editor or admin (and in
demo mode, where everyone may edit): a viewer sees the face, not the words behind it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from avatar_core import runtime
from tests.page_helpers import open_page
from tests.page_helpers import reset as reset_app

DETAIL = "app_pages/agent_detail.py"
PROMPT = "a calm brass robot with a secret violet visor"
TOKEN = "s3cret-admin-for-prompts"


def shown(at: AppTest) -> str:
    return "\n".join([t.value for t in at.text] + [m.value for m in at.markdown])


def with_avatar() -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    service.generate("atlas", PROMPT)


def test_a_viewer_sees_no_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", TOKEN)
    reset_app()
    with_avatar()
    at = open_page(DETAIL, agent="atlas")
    assert not at.exception
    assert "violet visor" not in shown(at)
    assert "Identity prompt" not in shown(at)
    assert "Version history" in [h.value for h in at.subheader]


def test_an_unlocked_admin_sees_the_prompts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", TOKEN)
    reset_app()
    with_avatar()
    at = open_page("app_pages/settings.py")
    at.text_input(key="settings_unlock_token").input(TOKEN)
    next(b for b in at.button if b.label == "Unlock").click().run()
    at.switch_page(DETAIL)
    at.query_params["agent"] = "atlas"
    at.run()
    assert PROMPT in [t.value for t in at.text]
    assert "violet visor" in "\n".join(m.value for m in at.markdown)  # the version history


def test_demo_mode_shows_the_prompts() -> None:
    with_avatar()
    at = open_page(DETAIL, agent="atlas")
    assert PROMPT in [t.value for t in at.text]
