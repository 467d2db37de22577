"""The issue "Bad input, limits and secrets on every surface", one test (or a few) per point.

Request bodies are tested on a real uvicorn server with raw sockets (``tests/api_server.py``):
what matters is what the server does with bytes on the wire. The rest goes through
``TestClient`` over real services on SQLite files, the real google-genai client against
``GeminiStub``, AppTest for the Settings page, and PostgreSQL for statement parameters.
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from avatar_core import runtime
from avatar_core.domain.tiles import TileAgent
from avatar_core.domain.timeline import build_timeline
from avatar_core.domain.tokens import DEMO_NO_TOKENS
from avatar_core.foundation.config import Settings
from avatar_core.foundation.errors import Forbidden
from avatar_core.foundation.limits import (
    FORM_OVERHEAD_BYTES,
    JSON_BODY_MAX_BYTES,
    MAX_UPLOAD_BYTES,
)
from avatar_core.storage.blobs import TEMP_PREFIX
from avatar_core.storage.database import create_engine
from avatar_core.storage.schema import activities, job_items
from tests import corpus
from tests.api_server import ApiServer, head_of, send_raw
from tests.conftest import ADMIN, Client
from tests.gemini_server import GeminiStub
from tests.helpers import gemini_env, wait_until
from tests.postgres_server import PostgresServer, postgres_bin

REPO = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": f"Bearer {ADMIN}"}
GEMINI_KEY = "AIzaSyHARDENING-0123456789abcdefghijk"
UPLOAD_CAP = MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES
UPLOAD_ROUTES = [("POST", "/agents/atlas/avatar/generate"), ("PUT", "/agents/atlas/avatar"),
                 ("POST", "/agents/import")]
TRACEBACK_SIGNS = ("Traceback", "Exception in ASGI application", "ERROR")


# --- 1. bodies, on a real server ------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    root = tmp_path_factory.mktemp("server")
    (root / "tmp").mkdir()  # the server's TMPDIR: spooled uploads must not stay there
    running = ApiServer(root / "data", root / "server.log", AVATARS_ADMIN_TOKEN=ADMIN,
                        TMPDIR=str(root / "tmp"))
    created = running.request("POST", "/agents", b'{"name": "atlas"}',
                              {**AUTH, "Content-Type": "application/json"})
    assert created.status == 201, created.body
    yield running
    running.stop()


def leftovers(server: ApiServer) -> list[Path]:
    """Stored images and temp files: none may come from a refused body."""
    blobs = server.data_dir / "blobs"
    stored = [p for p in blobs.rglob("*") if p.is_file()] if blobs.exists() else []
    spooled = list((server.data_dir.parent / "tmp").iterdir())
    return stored + spooled + list(server.data_dir.rglob(f"{TEMP_PREFIX}*"))


def assert_server_fine(server: ApiServer) -> None:
    assert server.request("GET", "/health").status == 200
    assert server.request("GET", "/agents/atlas").status == 200
    log = server.log()
    for sign in TRACEBACK_SIGNS:
        assert sign not in log, log[-3000:]


def test_a_huge_write_without_a_token_is_refused_before_its_body(server):
    for method, path in [("POST", "/agents"), *UPLOAD_ROUTES]:
        answer = server.answer_without_the_body(
            method, path, {"Content-Length": str(256 * 1024 * 1024),
                                   "Content-Type": "application/json"}, b"{" + b" " * 4095)
        assert answer.status == 401, (method, path, answer.body)
        assert "Authorization: Bearer" in answer.json()["detail"]
    broken = server.request("POST", "/agents", b'{"name": "atl', {"Content-Type":
                                                                  "application/json"})
    assert broken.status == 401, broken.body  # not 422: who asks is decided first
    assert_server_fine(server)


def test_a_declared_length_over_the_cap_is_413_at_once(server):
    cases = [("POST", "/agents", JSON_BODY_MAX_BYTES, "1 MB"),
             ("PATCH", "/agents/atlas", JSON_BODY_MAX_BYTES, "1 MB"),
             *((method, path, UPLOAD_CAP, "10 MB") for method, path in UPLOAD_ROUTES)]
    for method, path, cap, limit in cases:
        answer = server.answer_without_the_body(method, path,
                                          {**AUTH, "Content-Length": str(cap + 1)})
        assert answer.status == 413, (method, path, answer.body)
        assert answer.headers["content-type"] == "application/json"
        assert limit in answer.json()["detail"]
    # 64 MB to /generate: refused from its declared length, nothing of it read.
    huge = server.answer_without_the_body("POST", "/agents/atlas/avatar/generate",
                                    {**AUTH, "Content-Length": str(64 * 1024 * 1024),
                                     "Content-Type": "application/json"})
    assert huge.status == 413 and huge.json()["reason"] == "invalid_input"
    assert_server_fine(server)


def test_a_json_body_at_the_cap_is_read(server):
    name = json.dumps({"name": "x" * (JSON_BODY_MAX_BYTES - 20)}).encode()
    body = name + b" " * (JSON_BODY_MAX_BYTES - len(name))
    answer = server.request("POST", "/agents", body, {**AUTH, "Content-Type": "application/json"})
    assert answer.status == 422, answer.body  # read and refused by the model, not by the cap


def chunks_of(total: int, first: bytes = b"", filler: bytes = b"x",
              size: int = 256 * 1024) -> Iterator[bytes]:
    yield first
    for _ in range((total - len(first)) // size + 1):
        yield filler * size


def test_a_streamed_json_body_over_1_mb_is_413(server):
    answer = send_raw(server.connect(), "POST", "/agents", {**AUTH, "Content-Type":
                                                           "application/json"},
                      chunks_of(2 * JSON_BODY_MAX_BYTES, b'{"name": "'), chunked=True)
    assert answer.status == 413, answer.body
    assert "1 MB" in answer.json()["detail"]
    # Valid JSON, then spaces past the cap: refused whole — the part before the cut is not
    # acted on (it was: the agent got registered while the client heard 413).
    padded = send_raw(server.connect(), "POST", "/agents", {**AUTH, "Content-Type":
                                                           "application/json"},
                      chunks_of(2 * JSON_BODY_MAX_BYTES, b'{"name": "cut-short"}', b" "),
                      chunked=True)
    assert padded.status == 413, padded.body
    assert server.request("GET", "/agents/cut-short").status == 404
    # A 64 MB stream to /generate: cut at the upload cap, long before its end.
    huge = send_raw(server.connect(), "POST", "/agents/atlas/avatar/generate",
                    {**AUTH, "Content-Type": "application/json"},
                    chunks_of(64 * 1024 * 1024, b'{"identity_prompt": "'), chunked=True)
    assert huge.status == 413, huge.body
    assert huge.sent < 32 * 1024 * 1024
    assert_server_fine(server)


def multipart_head(field: str, filename: str) -> tuple[str, bytes]:
    boundary = "hardening-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"identity_prompt\"\r\n\r\n"
            f"a robot\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
    return f"multipart/form-data; boundary={boundary}", head.encode() + corpus.png()


def test_a_streamed_upload_over_the_cap_is_413_and_leaves_nothing(server):
    before = leftovers(server)
    for (method, path), (field, filename) in zip(
            UPLOAD_ROUTES, [("reference_image", "ref.png"), ("image", "me.png"),
                            ("file", "agents.zip")], strict=True):
        content_type, head = multipart_head(field, filename)
        answer = send_raw(server.connect(), method, path,
                          {**AUTH, "Content-Type": content_type},
                          chunks_of(UPLOAD_CAP + 2 * 1024 * 1024, head), chunked=True)
        assert answer.status == 413, (method, path, answer.body)
        assert "10 MB" in answer.json()["detail"]
    assert leftovers(server) == before
    assert server.request("GET", "/agents/atlas/avatar").status == 404  # no avatar came of it
    assert_server_fine(server)


def test_a_client_that_goes_away_mid_body_leaves_no_traceback(server):
    content_type, head = multipart_head("reference_image", "ref.png")
    for path, headers, first in (
            ("/agents", {"Content-Type": "application/json", "Content-Length": "100000"},
             b'{"name": "half'),
            ("/agents/atlas/avatar/generate", {"Content-Type": "application/json",
                                               "Content-Length": "100000"},
             b'{"identity_prompt": "half'),
            ("/agents/atlas/avatar/generate", {"Content-Type": content_type,
                                               "Content-Length": "900000"}, head),
            ("/agents/atlas/avatar/generate", {"Content-Type": content_type,
                                               "Transfer-Encoding": "chunked"},
             b"%x\r\n%s\r\n" % (len(head), head))):
        with server.connect() as sock:
            sock.sendall(head_of("POST", path, {**AUTH, **headers}) + first)
        # Closed mid-body. The server's event loop handles that close before it answers the
        # requests below, so a traceback from it would be in the log by then.
        created = server.request("POST", "/agents/atlas/activities", json.dumps({
            "started_at": datetime.now(UTC).isoformat(), "kind": "chat",
            "status": "running"}).encode(), {**AUTH, "Content-Type": "application/json"})
        assert created.status == 201, created.body
    assert_server_fine(server)


# --- services and clients for the rest -------------------------------------------------------


@pytest.fixture
def api(make_client: Callable[..., Client]) -> Client:
    client, service = make_client()
    service.register_agent("atlas")
    return client, service


def activity(started: datetime, ended: datetime | None, status: str = "success") -> dict[str, Any]:
    return {"started_at": started.isoformat(), "ended_at": ended and ended.isoformat(),
            "kind": "task", "status": status}


# --- 2. activity times -----------------------------------------------------------------------


def test_activity_times_out_of_range_name_their_field(api):
    client, service = api
    now = datetime.now(UTC)
    far_future = client.post("/agents/atlas/activities", headers=AUTH, json={
        **activity(now, None), "ended_at": "9999-12-31T00:00:00Z"})
    assert far_future.status_code == 400, far_future.text
    assert far_future.json()["detail"].startswith("ended_at is out of range")
    long_ago = client.post("/agents/atlas/activities", headers=AUTH,
                           json=activity(datetime(1900, 1, 1, tzinfo=UTC), now))
    assert long_ago.status_code == 400, long_ago.text
    assert long_ago.json()["detail"].startswith("started_at is out of range")
    assert len(service.activity_table()) == 0
    fine = client.post("/agents/atlas/activities", headers=AUTH,
                       json=activity(now - timedelta(days=30), now))
    assert fine.status_code == 201, fine.text


def test_the_timeline_skips_rows_it_cannot_place(api, caplog):
    client, service = api
    now = datetime.now(UTC)
    client.post("/agents/atlas/activities", headers=AUTH,
                json=activity(now - timedelta(minutes=5), now))
    agent_id = service.get_agent("atlas").id
    with service.engine.begin() as conn:  # rows from before validation existed
        conn.execute(activities.insert(), [
            {"agent_id": agent_id, "started_at": datetime(9999, 12, 31), "ended_at": None,
             "kind": "task", "status": "running", "summary": "far future"},
            {"agent_id": agent_id, "started_at": now - timedelta(minutes=1),
             "ended_at": datetime(9999, 12, 31), "kind": "task", "status": "success",
             "summary": "ends never"},
            {"agent_id": agent_id, "started_at": datetime(1200, 1, 1), "ended_at": None,
             "kind": "task", "status": "running", "summary": "middle ages"}])
    with caplog.at_level(logging.WARNING, logger="avatar_core"):
        frame = service.activity_table()
        recent = service.activity_table(since=now - timedelta(hours=1))
    assert list(frame["summary"]) == [""]  # the placeable row only
    assert list(recent["summary"]) == [""]
    assert any("Skipped 3 activities" in r.getMessage() for r in caplog.records)
    timeline = build_timeline([TileAgent.from_agent(service.get_agent("atlas"))], frame,
                              now=now, window=timedelta(hours=1))
    assert [len(row.bars) for row in timeline.rows] == [1]


def test_delete_activities_all_or_before(api):
    client, service = api
    now = datetime.now(UTC)
    for minutes in (50, 30, 10):
        started = now - timedelta(minutes=minutes)
        assert client.post("/agents/atlas/activities", headers=AUTH,
                           json=activity(started, started + timedelta(minutes=1))
                           ).status_code == 201
    assert client.delete("/agents/atlas/activities").status_code == 401
    cutoff = (now - timedelta(minutes=20)).isoformat()
    older = client.delete("/agents/atlas/activities", params={"before": cutoff}, headers=AUTH)
    assert older.status_code == 200, older.text
    assert older.json() == {"agent_name": "atlas", "deleted": 2}
    assert len(service.activity_table()) == 1
    assert client.delete("/agents/atlas/activities", headers=AUTH).json()["deleted"] == 1
    assert len(service.activity_table()) == 0
    assert client.delete("/agents/nobody/activities", headers=AUTH).status_code == 404
    numeric = client.delete("/agents/atlas/activities", params={"before": "0.5"}, headers=AUTH)
    assert numeric.status_code == 422 and "ISO 8601" in numeric.json()["detail"]


# --- 3. masked URLs; the configuration table is an admin view -------------------------------

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


# --- 4. no editor tokens in demo mode --------------------------------------------------------


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


# --- 5. secrets stay out of reprs, errors and Streamlit's error details ----------------------


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


# --- 8. identity prompts: one rule ------------------------------------------------------------


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


# --- 10-13. generate-defaults: bounded waits, deleted agents, a misspelled model, the summary -


@pytest.fixture
def gemini(make_client: Callable[..., Client]) -> Iterator[Callable[..., Client]]:
    """A client over a service drawing through the real SDK and ``GeminiStub``."""
    stubs: list[GeminiStub] = []

    def factory(stub: GeminiStub, **env: str) -> Client:
        stubs.append(stub)
        return make_client(background=True, **gemini_env(stub, AVATARS_CONCURRENCY="1", **env))

    yield factory
    for stub in stubs:
        stub.close()


def test_wait_answers_202_with_the_job_when_the_timeout_runs_out(gemini):
    client, service = gemini(GeminiStub(latency_s=3.0, image_size=32))
    service.register_agent("atlas")
    waited = client.post("/agents/avatars/generate-defaults",
                         params={"wait": "true", "timeout": "0.3"}, headers=AUTH)
    assert waited.status_code == 202, waited.text
    job = waited.json()
    assert waited.headers["location"] == job["status_url"] == f"/api/jobs/{job['id']}"
    assert job["status"] in {"queued", "running"}  # answered before the 3 s call ended
    wait_until(lambda: service.job(job["id"]).finished, timeout=60)
    service.register_agent("bolt")
    done = client.post("/agents/avatars/generate-defaults",
                       params={"wait": "true", "timeout": "60"}, headers=AUTH)
    assert done.status_code == 200, done.text
    assert done.json()["agents"] == ["bolt"]
    service.work.shutdown()


def test_deleting_an_agent_during_bulk_defaults_skips_it(gemini, caplog):
    stub = GeminiStub(latency_s=1.5, image_size=32)
    client, service = gemini(stub)
    for name in ("atlas", "bolt", "cato"):
        service.register_agent(name, description=f"marker-{name}")
    caplog.set_level(logging.INFO)
    job = client.post("/agents/avatars/generate-defaults", headers=AUTH).json()
    wait_until(lambda: stub.calls >= 1, timeout=60)
    asked = json.dumps([r.body for r in stub.requests])
    victim = next(name for name in ("atlas", "bolt", "cato") if f"marker-{name}" not in asked)
    deleted = client.delete(f"/agents/{victim}", headers=AUTH)  # not drawn yet: no lock held
    assert deleted.status_code == 200, deleted.text
    wait_until(lambda: service.job(job["id"]).finished, timeout=90)
    final = client.get(f"/jobs/{job['id']}", headers=AUTH).json()
    assert (final["status"], final["generated"], final["skipped"], final["failed"]) == (
        "done", 2, 1, 0)
    with service.engine.connect() as conn:
        skipped = dict(conn.execute(sa.select(job_items.c.agent_name, job_items.c.message).where(
            job_items.c.job_id == job["id"], job_items.c.status == "skipped")).all())
    assert skipped == {victim: "agent was deleted"}
    assert victim not in service.defaulted_agents(job["id"])
    service.work.shutdown()
    troubles = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not troubles, [r.getMessage() for r in troubles]


def test_a_misspelled_model_is_not_configured_naming_model_and_variable(gemini):
    stub = GeminiStub(image_size=32, known_models={"gemini-2.5-flash-image"})
    client, service = gemini(stub, AVATARS_GEMINI_MODEL="gemini-2.5-flash-imgae")
    service.work.shutdown()
    service.register_agent("atlas")
    answer = client.post("/agents/atlas/avatar/generate", json={"identity_prompt": "a robot"},
                         headers=AUTH)
    assert answer.status_code == 501, answer.text
    body = answer.json()
    assert body["reason"] == "not_configured" and body["hint"]
    assert "gemini-2.5-flash-imgae" in body["detail"] and "AVATARS_GEMINI_MODEL" in body["detail"]
    assert stub.calls == 1  # a setting to fix: not retried


def test_the_wait_summary_keeps_the_seed_systems_shape(gemini):
    stub = GeminiStub(image_size=32)
    client, service = gemini(stub)
    for name in ("atlas", "bolt"):
        service.register_agent(name)
    service.register_agent("custom")
    service.install_picture("custom", corpus.png())
    # Its emotion variants go first through the same stub: the scripted failure is for a face.
    wait_until(lambda: len(service.emotions("custom").emotions) == 8, timeout=90)
    stub.push("error", status=400, message="Image generation refused for this prompt")
    waited = client.post("/agents/avatars/generate-defaults", params={"wait": "true"},
                         headers=AUTH)
    assert waited.status_code == 200, waited.text
    summary = waited.json()
    assert {"generated", "failed", "skipped", "agents", "errors", "message"} <= set(summary)
    assert (summary["generated"], summary["failed"], summary["skipped"]) == (1, 1, 1)
    [error] = summary["errors"]
    assert set(error) == {"agent", "error", "reason", "message"}
    assert error["reason"] == "invalid_input" and error["error"] == error["message"]
    assert summary["agents"] == sorted({"atlas", "bolt"} - {error["agent"]})
    assert isinstance(summary["message"], str) and "invalid_input: 1" in summary["message"]
    service.work.shutdown()
