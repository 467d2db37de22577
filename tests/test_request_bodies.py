"""What the API does with request bodies on the wire, on a real uvicorn server with raw sockets
(``tests/api_server.py``): a write without a token is refused before its body is read, bodies
over their cap are 413 (declared or streamed) and leave nothing behind, and a client that goes
away mid-body leaves no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from avatar_core.foundation.limits import (
    FORM_OVERHEAD_BYTES,
    JSON_BODY_MAX_BYTES,
    MAX_UPLOAD_BYTES,
)
from avatar_core.storage.blobs import TEMP_PREFIX
from tests import corpus
from tests.api_server import ApiServer, head_of, send_raw
from tests.conftest import ADMIN

AUTH = {"Authorization": f"Bearer {ADMIN}"}
UPLOAD_CAP = MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES
UPLOAD_ROUTES = [("POST", "/agents/atlas/avatar/generate"), ("PUT", "/agents/atlas/avatar"),
                 ("POST", "/agents/import")]
TRACEBACK_SIGNS = ("Traceback", "Exception in ASGI application", "ERROR")


# --- bodies, on a real server ------------------------------------------------------------


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
    # 64 MB of JSON to /generate: refused from its declared length (the JSON cap), unread.
    huge = server.answer_without_the_body("POST", "/agents/atlas/avatar/generate",
                                    {**AUTH, "Content-Length": str(64 * 1024 * 1024),
                                     "Content-Type": "application/json"})
    assert huge.status == 413 and "1 MB" in huge.json()["detail"]
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
