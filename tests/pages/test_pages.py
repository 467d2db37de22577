"""The three pages through Streamlit's AppTest, on real SQLite files under tmp_path.

Each test configures the service through the environment (as the real server is configured),
so ``app.py`` runs unchanged; the Gemini tests reach the real SDK and a local server that
speaks its protocol (``tests/gemini_server.py``). Agent Detail's own controls are tested in
``test_agent_detail.py``.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from avatar_core import runtime
from avatar_core.foundation.errors import FailureReason
from avatar_ui.frame import DEMO_BANNER
from tests.gemini_server import GeminiStub
from tests.helpers import GEMINI_KEY
from tests.page_helpers import (
    PAGES,
    open_page,
    png,
    protos,
    texts,
    unescaped,
    wait_for,
)
from tests.page_helpers import reset as _reset

SECRET_KEY = "AIzaSyTEST-never-shown-0123456789abcdef"


# --- every page renders -----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_database(page: str) -> None:
    at = open_page(page)
    # the shared frame (drawn by app.py around every page): banner and sidebar brand
    assert DEMO_BANNER in at.info[0].value
    assert "Agent Avatars" in at.sidebar.markdown[0].value
    assert at.title[0].value in ("Dashboard Timeline", "Agent Detail", "Settings")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_demo_data(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_DEMO", "1")
    at = open_page(page)
    if page == "app_pages/dashboard.py":
        body = at.get("html")[0].proto.body
        assert body.count('class="aa-row"') == 12
        assert 'href="agent?agent=orchestrator"' in body
    if page == "app_pages/settings.py":
        assert at.get("tab")  # the sections are there
        assert at.button(key="settings_defaults")


def test_dashboard_filters_and_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_DEMO", "1")
    at = open_page()
    for window in ("1 h", "6 h", "7 d"):
        at.radio(key="dash_window").set_value(window).run()
        assert not at.exception
    at.text_input(key="dash_name_filter").input("ledger").run()
    body = at.get("html")[0].proto.body
    assert body.count('class="aa-row"') == 1 and "Ledger Bot" in body
    at.text_input(key="dash_name_filter").input("").run()
    at.multiselect(key="dash_status_filter").select("running").run()
    assert not at.exception


def test_dashboard_tiles_use_versioned_avatar_urls() -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    service.agents.register("root", "Root", is_system=True)
    service.generate("atlas", "a brass robot")
    at = open_page()
    body = at.get("html")[0].proto.body
    assert '<img class="aa-avatar" src="/api/agents/atlas/avatar?v=' in body
    assert "aa-initials" in body  # root has no avatar: initials disc


# --- Agent Detail -----------------------------------------------------------------------------


def test_agent_detail_opens_the_agent_from_the_query_string() -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    service.agents.register("nova", "Nova", description="Writes release notes")
    service.generate("nova", "a cheerful typewriter robot")
    at = open_page("app_pages/agent_detail.py", agent="nova")
    assert at.selectbox(key="detail_agent").value == "nova"
    assert at.query_params["agent"] == "nova"
    html = "\n".join(h.proto.body for h in at.get("html"))
    assert "/api/agents/nova/" in html
    assert "a cheerful typewriter robot" in texts(at)
    # picking another agent writes it back to the URL
    at.selectbox(key="detail_agent").select("atlas").run()
    assert at.query_params["agent"] == "atlas"


def test_agent_detail_unknown_agent_is_a_warning_not_a_crash() -> None:
    runtime.shared_service().agents.register("atlas", "Atlas")
    at = open_page("app_pages/agent_detail.py", agent="ghost")
    assert "not found" in at.warning[0].value
    assert at.selectbox(key="detail_agent").value == "atlas"


def test_generate_dialog_success_closes_and_shows_new_avatar() -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    at = open_page("app_pages/agent_detail.py", agent="atlas")
    at.button(key="detail_generate").click().run()
    at.text_area(key="detail_gen_prompt").input("a calm brass robot")
    at.file_uploader(key="detail_gen_ref").set_value(("ref.png", png(), "image/png"))
    at.run()
    assert at.get("imgs") or at.image, "reference preview"
    at.button(key="detail_gen_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    assert not at.text_area  # the dialog closed
    assert "New avatar generated" in at.success[0].value
    assert service.agents.get("atlas").has_avatar
    # regenerate, restore and the remove confirmation
    at.button(key="detail_regenerate").click().run()
    assert len(service.versions("atlas")) == 2
    first = service.versions("atlas")[-1].id
    at.button(key=f"detail_restore_{first}").click().run()
    assert service.current_version("atlas").id == first
    at.button(key="detail_remove").click().run()
    assert service.agents.get("atlas").has_avatar  # not before the confirmation
    at.button(key="detail_remove_yes").click().run()
    assert not service.agents.get("atlas").has_avatar


SCRIPTS: dict[FailureReason, list[tuple[str, dict]]] = {
    FailureReason.RATE_LIMITED: [("rate_limited", {"retry_delay_s": 0})] * 3,
    FailureReason.INVALID_INPUT: [("error", {"status": 400})],
    FailureReason.NOT_CONFIGURED: [("error", {"status": 403})],
    FailureReason.UPSTREAM_ERROR: [("error", {"status": 500})] * 3,
    FailureReason.TIMEOUT: [("error", {"status": 504})] * 3,
    FailureReason.SAFETY_FILTER: [("finish", {"reason": "IMAGE_SAFETY"}),
                                  ("blocked", {"reason": "SAFETY"})],
}


def test_generate_dialog_shows_each_failure_reason_and_hint(gemini_app: GeminiStub) -> None:
    stub = gemini_app
    runtime.shared_service().agents.register("atlas", "Atlas")
    at = open_page("app_pages/agent_detail.py", agent="atlas")
    at.button(key="detail_generate").click().run()
    at.text_area(key="detail_gen_prompt").input("a robot")
    for reason, script in SCRIPTS.items():
        for answers in ([script] if reason != FailureReason.SAFETY_FILTER
                        else [[item] for item in script]):
            stub.clear()
            for kind, options in answers:
                stub.push(kind, **options)
            at.button(key="detail_gen_submit").click().run()
            shown = [e.value for e in at.error]
            assert len(shown) == 1, (reason, shown)
            assert reason.value in shown[0] and reason.hint in shown[0], shown
            assert "Failed to generate avatar" not in shown[0]
            assert GEMINI_KEY not in texts(at)
    # an empty prompt is our own validation, before any call
    calls = stub.calls
    at.text_area(key="detail_gen_prompt").input("   ")
    at.button(key="detail_gen_submit").click().run()
    assert FailureReason.INVALID_INPUT.hint in at.error[0].value and stub.calls == calls


def test_missing_key_with_gemini_shows_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_PROVIDER", "gemini")
    _reset()
    runtime.shared_service().agents.register("atlas", "Atlas")
    at = open_page("app_pages/agent_detail.py", agent="atlas")
    at.button(key="detail_generate").click().run()
    at.text_area(key="detail_gen_prompt").input("a robot")
    at.button(key="detail_gen_submit").click().run()
    assert "not_configured" in at.error[0].value
    assert FailureReason.NOT_CONFIGURED.hint in at.error[0].value


# --- Settings ---------------------------------------------------------------------------------


def test_saved_key_is_never_rendered(stub: GeminiStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", stub.url)
    _reset()
    at = open_page("app_pages/settings.py")
    at.text_input(key="settings_key").input(SECRET_KEY)
    next(b for b in at.button if b.label == "Save key").click().run()
    assert "saved in Settings" in texts(at)
    assert SECRET_KEY not in texts(at)
    assert runtime.shared_service().providers.gemini_key() == SECRET_KEY
    at.button(key="settings_key_test").click().run()
    assert "works" in at.success[0].value
    assert SECRET_KEY not in texts(at)
    assert stub.models.api_keys[-1] == SECRET_KEY and stub.calls == 0  # models.get, free
    stub.models.fail_next(403, "PERMISSION_DENIED",
                          "API key not valid. Please pass a valid API key.")
    at.button(key="settings_key_test").click().run()
    assert "not_configured" in unescaped(at.error[0].value)
    assert SECRET_KEY not in texts(at) and SECRET_KEY not in unescaped(at.error[0].value)
    for page in PAGES:
        at.switch_page(page).run()
        assert SECRET_KEY not in texts(at)
    at.switch_page("app_pages/settings.py").run()
    at.button(key="settings_key_remove").click().run()
    assert runtime.shared_service().providers.gemini_key() is None


def test_provider_choice_changes_the_active_provider() -> None:
    at = open_page("app_pages/settings.py")
    assert "Active now: **builtin" in texts(at)
    at.radio(key="settings_provider").set_value("gemini").run()
    assert any("Active now: **none (not_configured)**" in unescaped(m.value) for m in at.markdown)


def test_default_avatars_button_runs_and_shows_the_summary() -> None:
    service = runtime.shared_service()
    for name in ("atlas", "nova", "orion"):
        service.agents.register(name, name.title())
    service.generate("orion", "a custom robot")
    at = open_page("app_pages/settings.py")
    at.button(key="settings_defaults").click().run()
    wait_for(at, lambda page: any("Generated 2" in str(p) for p in protos(page)))
    assert [m.value for m in at.metric] == ["2", "0", "1"]
    assert service.agents.get("atlas").is_default_avatar
    assert not service.agents.get("orion").is_default_avatar


def test_default_avatar_failures_are_listed_by_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_PROVIDER", "gemini")
    _reset()
    runtime.shared_service().agents.register("atlas", "Atlas")
    at = open_page("app_pages/settings.py")
    # no key: the price card already says not_configured, and there is nothing to press
    assert "not_configured" in texts(at)
    assert not [b for b in at.button if b.key == "settings_defaults"]


def test_agents_add_rename_delete_and_import() -> None:
    service = runtime.shared_service()
    at = open_page("app_pages/settings.py")
    at.text_input(key="settings_add_name").input("atlas")
    at.text_input(key="settings_add_display").input("Atlas")
    at.selectbox(key="settings_add_type").select("code-assistant")
    at.checkbox(key="settings_add_system").check()
    next(b for b in at.button if b.label == "Add agent").click().run()
    agent = service.agents.get("atlas")
    assert (agent.type, agent.is_system) == ("code-assistant", True)

    at.text_input(key="settings_add_name").input("Bad Name")
    next(b for b in at.button if b.label == "Add agent").click().run()
    assert "Invalid agent name" in at.error[0].value

    at.selectbox(key="settings_edit_agent").select("atlas")
    at.text_input(key="settings_rename_to").input("atlas-2")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert [a.name for a in service.agents.list()] == ["atlas-2"]
    assert "Renamed atlas to atlas-2" in unescaped(at.success[0].value)

    data = json.dumps([{"name": "nova", "type": "data-analyst"},
                       {"name": "nova"}, {"name": "x y"}]).encode()
    at.file_uploader(key="settings_import_file").set_value(("agents.json", data,
                                                            "application/json"))
    at.run()
    at.button(key="settings_import").click().run()
    assert "Imported 1 agent(s): nova" in unescaped(at.success[0].value)
    assert "2 row(s) were not imported" in at.error[0].value

    at.selectbox(key="settings_edit_agent").select("atlas-2")
    at.button(key="settings_delete").click().run()
    assert len(service.agents.list()) == 2  # not before the confirmation
    at.button(key="settings_delete_yes").click().run()
    assert [a.name for a in service.agents.list()] == ["nova"]


def test_api_tokens_need_an_admin_token_and_the_page_says_why() -> None:
    at = open_page("app_pages/settings.py")
    assert any("can only be created when an admin token is configured" in i.value
               for i in at.info)
    assert not [b for b in at.button if b.label == "Create editor token"]


def test_api_tokens_create_shows_secret_once_and_revoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", "s3cret-admin-token-for-tests")
    _reset()
    service = runtime.shared_service()
    at = open_page("app_pages/settings.py")
    at.text_input(key="settings_unlock_token").input("s3cret-admin-token-for-tests")
    next(b for b in at.button if b.label == "Unlock").click().run()
    at.text_input(key="settings_token_name").input("platform")
    next(b for b in at.button if b.label == "Create editor token").click().run()
    secret = at.code[0].value
    assert secret.startswith("aav_")
    at.run()
    assert secret not in texts(at)  # shown once
    token = service.tokens.list()[0]
    at.button(key="settings_revoke").click().run()
    assert service.tokens.get(token.id).revoked


def test_admin_lock_gates_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", "s3cret-admin-token-for-tests")
    _reset()
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    at = open_page("app_pages/settings.py")
    assert not any(DEMO_BANNER in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "settings_defaults"]
    at.text_input(key="settings_unlock_token").input("wrong")
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert "not the admin token" in at.error[0].value
    at.switch_page("app_pages/agent_detail.py").run()
    assert at.button(key="detail_generate").disabled
    at.switch_page("app_pages/settings.py").run()
    at.text_input(key="settings_unlock_token").input("s3cret-admin-token-for-tests")
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert at.button(key="settings_defaults")
    assert "s3cret-admin-token-for-tests" not in texts(at)
    at.switch_page("app_pages/agent_detail.py").run()
    assert not at.button(key="detail_generate").disabled


def test_settings_imports_a_zip_of_agents_with_pictures() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("agents.csv", "name,display_name\natlas,Atlas\nnova,Nova\n")
        bundle.writestr("atlas.png", png((10, 120, 90)))
        bundle.writestr("nova.png", b"not a picture")
    at = open_page("app_pages/settings.py")
    at.file_uploader(key="settings_import_file").set_value(
        ("agents.zip", buffer.getvalue(), "application/zip"))
    at.run()
    at.button(key="settings_import").click().run()
    assert "Imported 2 agent(s): atlas, nova" in unescaped(at.success[0].value)
    assert "1 row(s) were not imported" in at.error[0].value  # nova's picture, refused
    service = runtime.shared_service()
    assert service.agents.get("atlas").is_default_avatar
    assert not service.agents.get("nova").has_avatar


def test_dashboard_keeps_the_page_across_refreshes_and_resets_it_on_new_filters() -> None:
    service = runtime.shared_service()
    for index in range(60):
        service.agents.register(f"agent-{index:02d}", f"Agent {index:02d}")
    at = open_page()
    assert "60 of 60 agents · showing 1–50" in at.caption[0].value
    at.selectbox(key="dash_page").select(2).run()
    for _ in range(2):  # the live refresh reruns: the viewer stays on page 2
        assert "showing 51–60" in at.caption[0].value
        assert 'href="agent?agent=agent-55"' in at.get("html")[0].proto.body
        at.run()
    at.radio(key="dash_window").set_value("7 d").run()  # new choices start on page 1
    assert "showing 1–50" in at.caption[0].value
