"""What a caller never sees: passwords in configured URLs, the configuration table without the
admin lock, editor tokens in demo mode, secrets in reprs, statement parameters and Streamlit's
error details, and identity prompts without an editor token.

Through ``TestClient`` over real services on SQLite files, AppTest for the Settings page, and
PostgreSQL for statement parameters.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from avatar_core import runtime
from avatar_core.domain.tokens import DEMO_NO_TOKENS
from avatar_core.foundation.config import Settings
from avatar_core.foundation.errors import Forbidden
from avatar_core.storage.database import create_engine
from tests.conftest import ADMIN, Client
from tests.postgres_server import PostgresServer, postgres_bin

REPO = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": f"Bearer {ADMIN}"}
GEMINI_KEY = "AIzaSyHARDENING-0123456789abcdefghijk"


# --- a client over a service with one agent --------------------------------------------------


@pytest.fixture
def api(make_client: Callable[..., Client]) -> Client:
    client, service = make_client()
    service.agents.register("atlas")
    return client, service


# --- masked URLs; the configuration table is an admin view -------------------------------

PASSWORDS = {"AVATARS_DATABASE_URL": "postgresql+psycopg://avatars:db-pa55word@db:5432/avatars",
             "GOOGLE_GEMINI_BASE_URL": "https://proxy:proxy-pa55word@proxy.internal:3128/",
             "AVATARS_BLOB_URL": "s3://blob-user:blob-pa55word@bucket/prefix",
             "AWS_ENDPOINT_URL": "http://s3-user:s3-pa55word@s3.internal:8333"}


def test_describe_masks_the_password_of_every_url(tmp_path):
    settings = Settings.from_mapping({"AVATARS_DATA_DIR": str(tmp_path), **PASSWORDS})
    shown = {row["name"]: row["value"] for row in settings.describe()}
    for name, url in PASSWORDS.items():
        password = url.split(":")[2].split("@")[0]
        assert password not in shown[name], name
        user = url.split("//")[1].split(":")[0]
        assert shown[name].startswith(url.split("//")[0] + f"//{user}:•••@"), shown[name]
    assert "pa55word" not in repr(settings.describe())


@pytest.fixture
def settings_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The real app.py on a fresh service, configured through the environment."""
    for name, value in {"AVATARS_DATA_DIR": str(tmp_path / "data"), "AVATARS_DEMO": "0",
                        "AVATARS_PROVIDER": "builtin", "AVATARS_REFINE_PROMPT": "off",
                        "GOOGLE_GEMINI_BASE_URL": PASSWORDS["GOOGLE_GEMINI_BASE_URL"]}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AVATARS_ADMIN_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml of the developer
    # The first st.App of a process fixes the script's directory from the cwd (a global);
    # restored afterwards, so a later test that mounts app.py does not look for it here.
    monkeypatch.setattr(streamlit_config, "_main_script_path", streamlit_config._main_script_path)
    runtime.reset_shared_service()
    st.cache_resource.clear()
    yield
    runtime.reset_shared_service()
    st.cache_resource.clear()


def open_settings() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.run()
    at.switch_page("app_pages/settings.py").run()
    assert not at.exception, at.exception
    return at


def configuration_tables(at: AppTest) -> list[Any]:
    return [frame.value for frame in at.dataframe
            if "name" in frame.value and "AVATARS_DATA_DIR" in set(frame.value["name"])]


def test_the_configuration_table_is_shown_to_an_unlocked_admin_only(settings_page, monkeypatch):
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", ADMIN)
    at = open_settings()
    assert configuration_tables(at) == []
    assert any("Seeing the configuration needs the admin token" in c.value for c in at.caption)
    at.text_input(key="settings_unlock_token").input(ADMIN)
    next(b for b in at.button if b.label == "Unlock").click().run()
    [table] = configuration_tables(at)
    shown = dict(zip(table["name"], table["value"], strict=True))
    assert shown["GOOGLE_GEMINI_BASE_URL"] == "https://proxy:•••@proxy.internal:3128/"
    assert "proxy-pa55word" not in table.to_string()


# --- no editor tokens in demo mode --------------------------------------------------------


def test_no_editor_token_can_be_minted_in_demo_mode(make_client, settings_page):
    client, service = make_client(AVATARS_ADMIN_TOKEN="")
    for headers in ({}, AUTH):
        refused = client.post("/tokens", json={"name": "ci"}, headers=headers)
        assert refused.status_code == 401, refused.text
        assert "no admin token is configured" in refused.json()["detail"]
    with pytest.raises(Forbidden, match="only be created when an admin token is configured"):
        service.tokens.create("ci")
    assert service.tokens.list() == []
    at = open_settings()  # demo mode: the page says why instead of offering the form
    assert any(DEMO_NO_TOKENS in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Create editor token"]


# --- secrets stay out of reprs, errors and Streamlit's error details ----------------------


def test_settings_reprs_hold_no_secret(tmp_path):
    settings = Settings.from_mapping({"AVATARS_DATA_DIR": str(tmp_path),
                                      "AVATARS_ADMIN_TOKEN": ADMIN, "GEMINI_API_KEY": GEMINI_KEY,
                                      "AVATARS_SECRET_KEY": "sealing-secret-0123456789"})
    for text in (repr(settings), str(settings), repr(settings.describe())):
        for secret in (ADMIN, GEMINI_KEY, "sealing-secret-0123456789"):
            assert secret not in text


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_failing_statement_shows_no_parameters(database, tmp_path):
    if database == "postgresql":
        if postgres_bin() is None:
            pytest.fail("PostgreSQL is missing: apt-get install postgresql")
        server = PostgresServer()
        url = server.url
    else:
        server, url = None, f"sqlite:///{tmp_path / 'db.sqlite'}"
    try:
        engine = create_engine(url)
        with pytest.raises(sa.exc.DBAPIError) as failed, engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE saved (k VARCHAR(200) NOT NULL UNIQUE)"))
            conn.execute(sa.text("INSERT INTO saved (k) VALUES (:k)"), {"k": GEMINI_KEY})
            conn.execute(sa.text("INSERT INTO saved (k) VALUES (:k)"), {"k": GEMINI_KEY})
        engine.dispose()
    finally:
        if server is not None:
            server.stop()
    text = f"{failed.value}\n{failed.value!r}"
    assert "UNIQUE" in text.upper()  # the real failure ...
    assert GEMINI_KEY not in text and GEMINI_KEY[:12] not in text  # ... without the key
    assert "hidden due to hide_parameters" in text


def test_streamlit_shows_error_types_only():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "type"


# --- identity prompts: one rule ------------------------------------------------------------


def test_identity_prompts_are_for_editors_only(api):
    client, service = api
    service.generate("atlas", "a secret-ish prompt")
    editor = {"Authorization": f"Bearer {service.tokens.create('reader')[1]}"}
    assert client.get("/agents/atlas/avatar/identity").status_code == 401
    assert client.get("/agents/atlas/avatar/identity",
                      headers={"Authorization": "Bearer wrong"}).status_code == 401
    identity = client.get("/agents/atlas/avatar/identity", headers=editor)
    assert identity.status_code == 200 and identity.json()["identity_prompt"]
    for headers, visible in (({}, False), ({"Authorization": "Bearer wrong"}, False),
                             (editor, True), (AUTH, True)):
        listed = client.get("/agents/atlas/avatar/versions", headers=headers)
        assert listed.status_code == 200, listed.text  # the history itself is public
        [version] = listed.json()
        assert version["identity_prompt"] == ("a secret-ish prompt" if visible else None)
        assert version["refined_prompt"] is None
