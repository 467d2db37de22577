"""The low findings of the second hostile review, each with the test that failed before its
fix: masked URLs, confirmations after Lock, import edge cases, concurrent registration, the
key file, older avatars' emotions, bounded decodes, JSON caps, interactive timeouts."""

from __future__ import annotations

import json
import logging
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation import imaging
from avatar_core.foundation.clock import utcnow
from avatar_core.foundation.config import mask_url
from avatar_core.foundation.errors import Conflict
from avatar_core.storage.schema import agents
from avatar_core.storage.secret_box import KEY_FILE, SecretBox
from avatar_core.work.retry import INTERACTIVE
from tests import corpus
from tests.conftest import ADMIN, Client, ServiceFactory
from tests.gemini_server import GeminiStub
from tests.helpers import wait_until
from tests.live_server import LiveServer, request

ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.mark.parametrize("url, secret", [
    ("postgresql+psycopg://app:pa/ss?w0rd@db:5432/avatars", "pa/ss?w0rd"),
    ("postgresql://app:s3cr/et@db/avatars", "s3cr/et"),
    ("postgresql://db/avatars?user=app&password=hunter2", "hunter2"),
    ("postgresql://db/avatars?password=hunter2&sslmode=require", "hunter2"),
    ("s3://bucket/prefix?access_key=AKIA123&secret_key=abc/def", "abc/def"),
    ("https://proxy.example/?token=tok123", "tok123"),
])
def test_mask_url_hides_passwords_with_slashes_and_in_query_strings(url: str,
                                                                    secret: str) -> None:
    masked = mask_url(url)
    assert secret not in masked and "•••" in masked


def test_mask_url_leaves_plain_urls_alone() -> None:
    for url in ("sqlite:///data/avatars.db", "https://db.example:5432/avatars?sslmode=require",
                "postgresql://app@db/avatars"):
        assert mask_url(url) == url


def test_large_decodes_wait_for_a_slot() -> None:
    photo = corpus.jpeg(2500, 2000)  # 5 MP: over the large-decode threshold
    held = [imaging.DECODE_SLOTS.acquire(timeout=5) for _ in range(2)]
    assert all(held)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (imaging.validate_upload(photo), done.set()))
    try:
        worker.start()
        assert not done.wait(1.0)  # both slots taken: the decode waits
        small = imaging.validate_upload(corpus.png(64, 64))  # small images need no slot
        assert small
    finally:
        imaging.DECODE_SLOTS.release()
        imaging.DECODE_SLOTS.release()
    assert done.wait(60)
    worker.join(60)


def test_every_api_path_answers_json_on_the_real_server_control_characters_included(
        tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", tmp_path / "server.log")
    try:
        server.wait_healthy(120)
        answers = [request(server.port, "GET", path)
                   for path in ("/api/x%0A", "/api/x%1B", "/api/agents/atlas%0D%0Aavatar%0A",
                                "/api/%0A")]  # (%00 is refused by uvicorn itself)
        listed = request(server.port, "GET", "/api/agents%0A")  # "$" matches before a "\n"
    finally:
        server.stop()
    for status, headers, body in answers:
        assert 400 <= status < 500 and headers.get("content-type") == "application/json", (
            status, headers, body)
        assert json.loads(body)["detail"]
    assert answers[0][0] == answers[1][0] == 404
    assert listed[1]["content-type"] == "application/json"


def test_generate_holds_a_json_body_to_one_megabyte(make_client: Callable[..., Client]) -> None:
    client, service = make_client()
    service.agents.register("atlas")
    padded = json.dumps({"identity_prompt": "a robot", "pad": "x" * (3 * 1024 * 1024)})
    answer = client.post("/agents/atlas/avatar/generate", content=padded, headers={
        **ADMIN_AUTH, "Content-Type": "application/json"})
    assert answer.status_code == 413 and "JSON body" in answer.json()["detail"]
    picture = client.put("/agents/atlas/avatar", headers=ADMIN_AUTH,
                         files={"image": ("p.png", corpus.noise_png(1200, 1200), "image/png")})
    assert picture.status_code == 200, picture.text  # an upload over 1 MB still goes through


@pytest.mark.parametrize("filename, data, words", [
    ("agents.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("agents.csv", b"name,description\natlas," + b"x" * (200 * 1024) + b"\n",
     "field larger than field limit"),
], ids=["deeply-nested-json", "csv-field-over-128-kb"])
def test_an_unreadable_import_file_is_a_400(make_client: Callable[..., Client], filename: str,
                                            data: bytes, words: str) -> None:
    client, service = make_client()
    answer = client.post("/agents/import", headers=ADMIN_AUTH,
                         files={"file": (filename, data, "application/octet-stream")})
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["detail"]
    assert service.agents.list() == []


def test_a_name_registered_at_the_same_moment_is_a_409(make_service: ServiceFactory) -> None:
    service = make_service()
    inserting = threading.Event()

    def note_insert(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.startswith("INSERT INTO agents"):
            inserting.set()

    outcome: list[BaseException | None] = []

    def register() -> None:
        try:
            service.agents.register("atlas")
        except BaseException as exc:  # handed to the test below
            outcome.append(exc)
        else:
            outcome.append(None)

    other = service.engine.connect()  # another request, its row not committed yet
    other.begin()
    other.execute(agents.insert().values(name="atlas", display_name="Atlas", type="other",
                                         description="", is_system=False, created_at=utcnow()))
    sa.event.listen(service.engine, "before_cursor_execute", note_insert)
    worker = threading.Thread(target=register)
    worker.start()
    try:
        assert inserting.wait(30)  # past its own check, now waiting for the write lock
    finally:
        other.commit()
        other.close()
        sa.event.remove(service.engine, "before_cursor_execute", note_insert)
    worker.join(60)
    assert isinstance(outcome[0], Conflict), outcome


def test_a_key_file_readable_by_others_is_made_owner_only_and_said_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    SecretBox(None, tmp_path)
    key_file = tmp_path / KEY_FILE
    key_file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        box = SecretBox(None, tmp_path)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "readable by others" in caplog.text
    assert box.open(box.seal("AIza-secret", "gemini"), "gemini") == "AIza-secret"


def test_an_empty_key_file_gets_a_key_and_saving_works(make_service: ServiceFactory,
                                                       tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / KEY_FILE).write_bytes(b"")
    (data_dir / KEY_FILE).chmod(0o600)
    service = make_service(data_dir)
    service.providers.save_key("AIzaSyTEST-empty-key-file-0123456789abc")
    assert service.providers.masked_key()
    assert len((data_dir / KEY_FILE).read_bytes().strip()) == 44


def test_emotions_of_an_older_avatar_are_drawn_by_the_model_their_keys_name(
        make_service: ServiceFactory, stub: GeminiStub, tmp_path: Path) -> None:
    gemini = {"AVATARS_PROVIDER": "gemini", "GEMINI_API_KEY": "AIzaSyTEST-low-0123456789abcdefgh",
              "GOOGLE_GEMINI_BASE_URL": stub.url}
    older = make_service(tmp_path / "data", resume=False, AVATARS_GEMINI_MODEL="gemini-3-pro-image",
                         **gemini)
    older.agents.register("atlas")
    older.generate("atlas", "a calm brass robot")
    older.close()
    stub.clear()
    now = make_service(tmp_path / "data", AVATARS_GEMINI_MODEL="gemini-3.1-flash-image", **gemini)
    wait_until(lambda: len(now.emotions("atlas").emotions) == len(EMOTIONS), timeout=120)
    assert {r.model for r in stub.requests} == {"gemini-3-pro-image"}


def test_an_interactive_call_is_bounded_by_the_interactive_deadline(
        make_service: ServiceFactory, stub: GeminiStub) -> None:
    service = make_service(AVATARS_PROVIDER="gemini", GOOGLE_GEMINI_BASE_URL=stub.url,
                           GEMINI_API_KEY="AIzaSyTEST-low-0123456789abcdefgh",
                           AVATARS_GEMINI_TIMEOUT_S="120", resume=False)
    service.agents.register("atlas")
    service.generate("atlas", "a calm brass robot")
    # The SDK tells the server how long it will wait: the interactive 20 s, not the 120 s.
    waits = [int(r.headers["x-server-timeout"]) for r in stub.requests]
    assert waits and max(waits) <= INTERACTIVE.total_s
