"""The REST API in-process: every endpoint of DESIGN.md's table, every status and auth case.

Requests go through ``starlette.testclient.TestClient`` into ``create_api`` over a real service
on a SQLite file (the built-in provider, or real google-genai against ``GeminiStub`` for the
failure reasons); one test goes through the real ``st.App`` mount in ``app.py``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from avatar_core import runtime
from avatar_core.foundation.models import Emotion
from avatar_core.service import AvatarService
from tests import corpus
from tests.conftest import ADMIN, Client
from tests.helpers import GEMINI_KEY, gemini_env, wait_until

ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}
EMOTIONS = [e.value for e in Emotion]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(make_client: Callable[..., Client]) -> Client:
    """Admin token configured, built-in provider, no background work."""
    return make_client()


def register(client: TestClient, name: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/agents", json={"name": name, **fields}, headers=ADMIN_AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def generate(client: TestClient, name: str, prompt: str = "a friendly brass robot",
             headers: dict[str, str] = ADMIN_AUTH) -> dict[str, Any]:
    response = client.post(f"/agents/{name}/avatar/generate", json={"identity_prompt": prompt},
                           headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: Any, status: int, detail: str | None = None,
                 reason: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    if detail is not None:
        assert detail in body["detail"]
    if reason is not None:
        assert body["reason"] == reason
        assert body["hint"]
    return body


def digest_of(service: AvatarService, name: str) -> str:
    version = service.current_version(name)
    assert version is not None
    return version.display_blob.split(".")[0]


# Every write of the table, with a body that would otherwise be acceptable.
WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/agents", {"name": "newbie"}),
    ("PATCH", "/agents/atlas", {"display_name": "Atlas II"}),
    ("DELETE", "/agents/atlas", None),
    ("POST", "/agents/atlas/activities",
     {"started_at": "2026-01-01T10:00:00Z", "ended_at": None, "kind": "chat",
      "status": "running"}),
    ("DELETE", "/agents/atlas/avatar", None),
    ("POST", "/agents/atlas/avatar/generate", {"identity_prompt": "a robot"}),
    ("POST", "/agents/atlas/avatar/regenerate", None),
    ("POST", "/agents/atlas/avatar/versions/1/restore", None),
    ("POST", "/agents/avatars/generate-defaults", None),
    ("POST", "/tokens", {"name": "ci"}),
    ("DELETE", "/tokens/1", None),
]


# --- auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "anything", ADMIN])
def test_demo_mode_refuses_every_write_and_says_how_to_configure(make_client, token):
    client, service = make_client(AVATARS_ADMIN_TOKEN="")
    service.agents.register("atlas")
    headers = bearer(token) if token else {}
    for method, path, body in WRITES:
        response = client.request(method, path, json=body, headers=headers)
        found = assert_error(response, 401, "AVATARS_ADMIN_TOKEN")
        assert "no admin token is configured" in found["detail"], (method, path)
    identity = client.get("/agents/atlas/avatar/identity", headers=headers)
    assert_error(identity, 401, "AVATARS_ADMIN_TOKEN")
    assert service.agents.get("atlas").display_name == "atlas"  # nothing changed
    # Reads stay public.
    assert client.get("/agents").status_code == 200
    assert client.get("/agents/atlas").status_code == 200
    assert client.get("/health").json()["demo_mode"] is True


def test_writes_need_a_valid_bearer_token(api):
    client, service = api
    service.agents.register("atlas")
    service.tokens.failures.limit = 1000  # dozens of wrong tokens on purpose: no lock-out here
    for method, path, body in WRITES:
        for headers in ({}, bearer("wrong-token"), {"Authorization": f"Basic {ADMIN}"},
                        {"Authorization": "Bearer"}):
            response = client.request(method, path, json=body, headers=headers)
            assert_error(response, 401, "Authorization: Bearer")
            assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/agents/atlas/avatar/identity").status_code == 401
    assert client.get("/jobs/1").status_code == 401


def test_editor_tokens_create_use_list_revoke(api):
    client, _ = api
    created = client.post("/tokens", json={"name": "ci-bot", "role": "editor"}, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    token = created.json()
    assert set(token) == {"id", "name", "role", "token"}
    assert (token["name"], token["role"]) == ("ci-bot", "editor")
    editor = bearer(token["token"])

    # An editor writes ...
    register(client, "atlas")
    assert client.post("/agents", json={"name": "mira"}, headers=editor).status_code == 201
    generate(client, "mira", headers=editor)
    assert client.get("/agents/mira/avatar/identity", headers=editor).status_code == 200
    # ... but admin-only endpoints answer 403.
    assert_error(client.post("/agents/avatars/generate-defaults", headers=editor), 403, "admin")
    assert_error(client.post("/tokens", json={"name": "x"}, headers=editor), 403)
    assert_error(client.get("/tokens", headers=editor), 403)
    assert_error(client.delete(f"/tokens/{token['id']}", headers=editor), 403)

    # The list never shows a secret (nor its hash).
    listed = client.get("/tokens", headers=ADMIN_AUTH)
    assert listed.status_code == 200
    assert listed.json() == [{"id": token["id"], "name": "ci-bot", "role": "editor",
                              "created_at": listed.json()[0]["created_at"], "revoked": False}]
    assert token["token"] not in listed.text

    # Only editor tokens can be created; a name is required.
    assert client.post("/tokens", json={"name": "root", "role": "admin"},
                       headers=ADMIN_AUTH).status_code == 422
    assert_error(client.post("/tokens", json={"name": "  "}, headers=ADMIN_AUTH), 400)

    revoked = client.delete(f"/tokens/{token['id']}", headers=ADMIN_AUTH)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert_error(client.post("/agents", json={"name": "late"}, headers=editor), 401)
    assert client.get("/tokens", headers=ADMIN_AUTH).json()[0]["revoked"] is True
    assert_error(client.delete("/tokens/999", headers=ADMIN_AUTH), 404, "Token not found")


# --- agents -------------------------------------------------------------------------------


def test_register_list_get_agents(api):
    client, _ = api
    body = register(client, "atlas", display_name="Atlas", type="business-assistant",
                    description="Closes deals", is_system=True)
    assert body == {"name": "atlas", "display_name": "Atlas", "type": "business-assistant",
                    "description": "Closes deals", "is_system": True, "avatar_url": None,
                    "has_avatar": False, "is_default_avatar": False}
    register(client, "bolt")
    listed = client.get("/agents")
    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()] == ["atlas", "bolt"]
    assert client.get("/agents/atlas").json() == body

    assert_error(client.post("/agents", json={"name": "atlas"}, headers=ADMIN_AUTH), 409,
                 "already exists")
    assert_error(client.post("/agents", json={"name": "cato", "type": "wizard"},
                             headers=ADMIN_AUTH), 400, "Unknown agent type")
    assert_error(client.post("/agents", json={"name": "Not A Slug"}, headers=ADMIN_AUTH), 400,
                 "Invalid agent name")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"display_name": "no name"}',
                                  b'{"name": 42}'])
def test_malformed_bodies_are_422(api, body):
    client, service = api
    service.agents.register("atlas")
    for path, method in (("/agents", "POST"), ("/agents/atlas", "PATCH"),
                         ("/agents/atlas/avatar/generate", "POST"),
                         ("/agents/atlas/activities", "POST")):
        if path == "/agents/atlas" and body == b'{"display_name": "no name"}':
            continue  # a valid PATCH
        response = client.request(method, path, content=body,
                                  headers={**ADMIN_AUTH, "content-type": "application/json"})
        found = assert_error(response, 422, "Malformed request")
        assert isinstance(found["errors"], list) and found["errors"], (method, path)


def test_rename_moves_avatars_and_delete_removes_them(api):
    client, service = api
    register(client, "atlas")
    generate(client, "atlas")
    before = client.get("/agents/atlas/avatar")
    assert before.status_code == 200

    renamed = client.patch("/agents/atlas", json={"name": "atlas-two", "display_name": "Atlas 2"},
                           headers=ADMIN_AUTH)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "atlas-two"
    assert renamed.json()["avatar_url"].startswith("/api/agents/atlas-two/avatar?v=")
    after = client.get("/agents/atlas-two/avatar")
    assert after.status_code == 200 and after.content == before.content
    assert client.get("/agents/atlas-two/avatar/versions").json()[0]["current"] is True
    assert_error(client.get("/agents/atlas/avatar"), 404, "Agent not found")
    assert_error(client.get("/agents/atlas"), 404, "Agent not found")

    register(client, "bolt")
    assert_error(client.patch("/agents/bolt", json={"name": "atlas-two"}, headers=ADMIN_AUTH),
                 409, "already exists")
    assert_error(client.patch("/agents/bolt", json={"type": "wizard"}, headers=ADMIN_AUTH), 400)

    files = set(service.blobs.names())
    assert files
    deleted = client.delete("/agents/atlas-two", headers=ADMIN_AUTH)
    assert deleted.status_code == 200 and deleted.json() == {"deleted": "atlas-two"}
    assert_error(client.get("/agents/atlas-two"), 404, "Agent not found")
    assert_error(client.get("/agents/atlas-two/avatar"), 404, "Agent not found")
    assert not files & set(service.blobs.names())  # its files went with it
    assert_error(client.delete("/agents/atlas-two", headers=ADMIN_AUTH), 404, "Agent not found")


def test_activities(api):
    client, service = api
    register(client, "atlas")
    done = client.post("/agents/atlas/activities", headers=ADMIN_AUTH, json={
        "started_at": "2026-01-01T10:00:00Z", "ended_at": "2026-01-01T10:05:00Z",
        "kind": "task", "status": "success", "summary": "Nightly report"})
    assert done.status_code == 201, done.text
    assert done.json()["agent_name"] == "atlas" and done.json()["kind"] == "task"
    running = client.post("/agents/atlas/activities", headers=ADMIN_AUTH, json={
        "started_at": "2026-01-01T11:00:00Z", "kind": "chat", "status": "running"})
    assert running.status_code == 201 and running.json()["ended_at"] is None
    assert len(service.activities.frame().to_dict("records")) == 2

    bad = {"started_at": "2026-01-01T10:00:00Z", "ended_at": "2026-01-01T10:05:00Z",
           "kind": "dance", "status": "success"}
    assert_error(client.post("/agents/atlas/activities", json=bad, headers=ADMIN_AUTH), 400,
                 "Unknown activity kind")
    backwards = {**bad, "kind": "chat", "ended_at": "2026-01-01T09:00:00Z"}
    assert_error(client.post("/agents/atlas/activities", json=backwards, headers=ADMIN_AUTH),
                 400)
    assert_error(client.post("/agents/nobody/activities", json={**bad, "kind": "chat"},
                             headers=ADMIN_AUTH), 404, "Agent not found")


def test_unknown_agent_is_404_everywhere(api):
    client, _ = api
    reads = ["/agents/nobody", "/agents/nobody/avatar", "/agents/nobody/avatar/reference",
             "/agents/nobody/avatar/emotions", "/agents/nobody/avatar/emotion/happy",
             "/agents/nobody/avatar/versions", "/agents/nobody/avatar/identity"]
    for path in reads:
        found = assert_error(client.get(path, headers=ADMIN_AUTH), 404)
        assert found["detail"] == "Agent not found", path
    for method, path, body in WRITES:
        if "/agents/atlas" in path:
            path = path.replace("/agents/atlas", "/agents/nobody")
            found = assert_error(client.request(method, path, json=body, headers=ADMIN_AUTH), 404)
            assert found["detail"] == "Agent not found", (method, path)


def test_unknown_api_path_is_json_404(api):
    client, _ = api
    for method, path in (("GET", "/nope"), ("POST", "/agents/a/b/c/d"), ("DELETE", "/jobs"),
                         ("GET", "/agents/atlas/avatar/nothing")):
        assert_error(client.request(method, path), 404, "no such API endpoint")
    assert_error(client.get("/jobs/12345", headers=ADMIN_AUTH), 404, "Job not found")


# --- avatars ------------------------------------------------------------------------------


def test_generate_json_regenerate_versions_restore(api):
    client, service = api
    register(client, "atlas")
    first = generate(client, "atlas", "  a brass robot with a monocle  ")
    assert set(first) == {"agent_name", "identity_prompt", "updated_at", "version", "avatar_url",
                          "refined_prompt", "refine_error"}
    assert first["refined_prompt"] is None  # the built-in renderer has nothing to refine
    assert first["agent_name"] == "atlas"
    assert first["identity_prompt"] == "a brass robot with a monocle"
    digest = digest_of(service, "atlas")
    assert first["avatar_url"] == f"/api/agents/atlas/avatar?v={digest[:16]}"
    agent = client.get("/agents/atlas").json()
    assert agent["avatar_url"] == first["avatar_url"]
    assert (agent["has_avatar"], agent["is_default_avatar"]) == (True, False)

    second = client.post("/agents/atlas/avatar/regenerate", headers=ADMIN_AUTH)
    assert second.status_code == 200, second.text
    second_body = second.json()
    assert second_body["identity_prompt"] == first["identity_prompt"]
    assert second_body["version"] != first["version"]
    assert second_body["avatar_url"] != first["avatar_url"]
    assert client.get("/agents").json()[0]["avatar_url"] == second_body["avatar_url"]

    versions = client.get("/agents/atlas/avatar/versions")
    assert versions.status_code == 200
    listed = versions.json()
    assert [v["id"] for v in listed] == [second_body["version"], first["version"]]
    assert set(listed[0]) == {"id", "created_at", "identity_prompt", "provider", "model",
                              "is_default", "current", "image_url", "refined_prompt"}
    assert [v["current"] for v in listed] == [True, False]
    # Prompts are for editors only, here as on /identity; the history itself is public.
    assert listed[0]["identity_prompt"] is None
    with_token = client.get("/agents/atlas/avatar/versions", headers=ADMIN_AUTH).json()
    assert with_token[0]["identity_prompt"] == second_body["identity_prompt"]
    thumbnail = client.get(listed[1]["image_url"].removeprefix("/api"))
    assert thumbnail.status_code == 200 and thumbnail.content[8:12] == b"WEBP"
    assert "immutable" in thumbnail.headers["cache-control"]
    assert listed[0]["provider"] == "builtin"

    restored = client.post(f"/agents/atlas/avatar/versions/{first['version']}/restore",
                           headers=ADMIN_AUTH)
    assert restored.status_code == 200, restored.text
    assert restored.json()["avatar_url"] == first["avatar_url"]
    assert restored.json()["version"] == first["version"]
    assert [v["current"] for v in client.get("/agents/atlas/avatar/versions").json()] == [
        False, True]
    assert_error(client.post("/agents/atlas/avatar/versions/9999/restore", headers=ADMIN_AUTH),
                 404, "Version not found")


def test_generate_multipart_with_reference_image(api):
    client, service = api
    register(client, "atlas")
    response = client.post(
        "/agents/atlas/avatar/generate", headers=ADMIN_AUTH,
        data={"identity_prompt": "a red robot"},
        files={"reference_image": ("style.png", corpus.png(64, 64, (220, 20, 20)), "image/png")})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"agent_name", "identity_prompt", "updated_at", "version",
                                    "avatar_url", "refined_prompt", "refine_error"}
    version = service.current_version("atlas")
    assert version is not None and version.style_blob is not None
    # Without a reference image the multipart form works too.
    plain = client.post("/agents/atlas/avatar/generate", headers=ADMIN_AUTH,
                        data={"identity_prompt": "a blue robot"},
                        files={"unrelated": ("x.txt", b"", "text/plain")})
    assert plain.status_code == 200, plain.text
    assert_error(client.post("/agents/atlas/avatar/generate", headers=ADMIN_AUTH,
                             files={"reference_image": ("s.png", corpus.png(), "image/png")}),
                 400, "identity_prompt is required", reason="invalid_input")


def test_regenerate_without_avatar_is_404(api):
    client, _ = api
    register(client, "atlas")
    assert_error(client.post("/agents/atlas/avatar/regenerate", headers=ADMIN_AUTH), 404,
                 "generate one first")


def test_avatar_get_serves_stored_webp_with_etag_and_cache_headers(api):
    client, service = api
    register(client, "atlas")
    url = generate(client, "atlas")["avatar_url"]
    digest = digest_of(service, "atlas")
    stored = service.blobs.read(service.current_version("atlas").display_blob)

    plain = client.get("/agents/atlas/avatar")
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "image/webp"
    assert plain.content == stored  # served as stored, not re-encoded
    assert plain.content[:4] == b"RIFF" and plain.content[8:12] == b"WEBP"
    assert plain.headers["etag"] == f'"{digest}"'
    assert "no-cache" in plain.headers["cache-control"]  # unversioned: must revalidate
    hot = client.get("/agents/atlas/avatar")  # now served from memory by the fast path
    assert hot.content == stored
    for header in ("etag", "cache-control", "content-type", "content-length"):
        assert hot.headers[header] == plain.headers[header], header

    versioned = client.get(url.removeprefix("/api"))
    assert versioned.status_code == 200 and versioned.content == stored
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    # A stale or bogus version must not be cached forever.
    for v in ("0000000000000000", "ab", digest[:4]):
        stale = client.get(f"/agents/atlas/avatar?v={v}")
        assert stale.status_code == 200 and "no-cache" in stale.headers["cache-control"]

    for match in (f'"{digest}"', f'"other", "{digest}"', "*"):
        not_modified = client.get("/agents/atlas/avatar", headers={"If-None-Match": match})
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        assert not_modified.headers["etag"] == f'"{digest}"'
    changed = client.get("/agents/atlas/avatar", headers={"If-None-Match": '"stale"'})
    assert changed.status_code == 200 and changed.content == stored

    # After a regenerate the old ETag no longer matches.
    client.post("/agents/atlas/avatar/regenerate", headers=ADMIN_AUTH)
    fresh = client.get("/agents/atlas/avatar", headers={"If-None-Match": f'"{digest}"'})
    assert fresh.status_code == 200 and fresh.content != stored


def test_reference_image(api):
    client, service = api
    register(client, "atlas")
    assert_error(client.get("/agents/atlas/avatar/reference"), 404, "no avatar")
    generate(client, "atlas")
    version = service.current_version("atlas")
    reference = client.get("/agents/atlas/avatar/reference")
    assert reference.status_code == 200
    assert reference.headers["content-type"] == "image/png"
    assert reference.content == service.blobs.read(version.reference_blob)
    etag = reference.headers["etag"]
    assert etag == f'"{version.reference_blob.split(".")[0]}"'
    assert client.get("/agents/atlas/avatar/reference",
                      headers={"If-None-Match": etag}).status_code == 304


def test_delete_avatar_is_idempotent(api):
    client, _ = api
    register(client, "atlas")
    generate(client, "atlas")
    first = client.delete("/agents/atlas/avatar", headers=ADMIN_AUTH)
    assert first.status_code == 200 and first.json() == {"agent_name": "atlas", "removed": True}
    again = client.delete("/agents/atlas/avatar", headers=ADMIN_AUTH)
    assert again.status_code == 200 and again.json() == {"agent_name": "atlas", "removed": False}
    assert_error(client.get("/agents/atlas/avatar"), 404, "no avatar")
    agent = client.get("/agents/atlas").json()
    assert (agent["avatar_url"], agent["has_avatar"]) == (None, False)
    # History stays restorable.
    assert len(client.get("/agents/atlas/avatar/versions").json()) == 1


def test_identity(api):
    client, _ = api
    register(client, "atlas")
    empty = client.get("/agents/atlas/avatar/identity", headers=ADMIN_AUTH)
    assert empty.status_code == 200
    assert empty.json() == {"agent_name": "atlas", "identity_prompt": None, "updated_at": None,
                            "has_avatar": False, "has_reference": False, "is_default": False}
    made = generate(client, "atlas", "a silver android")
    found = client.get("/agents/atlas/avatar/identity", headers=ADMIN_AUTH).json()
    assert found == {"agent_name": "atlas", "identity_prompt": "a silver android",
                     "updated_at": made["updated_at"], "has_avatar": True,
                     "has_reference": True, "is_default": False}


def test_prompt_validation_is_400_invalid_input(api):
    client, _ = api
    register(client, "atlas")
    for prompt, detail in (("   ", "empty"), ("x" * 501, "limit is 500"),
                           ("a robot\x00", "control characters")):
        response = client.post("/agents/atlas/avatar/generate", headers=ADMIN_AUTH,
                               json={"identity_prompt": prompt})
        assert_error(response, 400, detail, reason="invalid_input")


# --- emotions -----------------------------------------------------------------------------


def test_emotions_shape_and_images(make_client):
    client, service = make_client(background=True)
    register(client, "atlas")
    none_yet = client.get("/agents/atlas/avatar/emotions")
    assert none_yet.status_code == 200
    assert none_yet.json()["emotions"] == [] and none_yet.json()["agent_name"] == "atlas"
    assert_error(client.get("/agents/atlas/avatar/emotion/angry"), 400, "Unknown emotion")
    assert_error(client.get("/agents/atlas/avatar/emotion/happy"), 404, "not available")

    generate(client, "atlas")
    body = client.get("/agents/atlas/avatar/emotions").json()
    assert {"agent_name", "emotions", "version", "pending", "failed"} <= set(body)
    assert sorted(body["emotions"] + body["pending"]
                  + [f["emotion"] for f in body["failed"]]) == sorted(EMOTIONS)

    def some_ready() -> bool:
        return bool(client.get("/agents/atlas/avatar/emotions").json()["emotions"])

    wait_until(some_ready, timeout=60)
    body = client.get("/agents/atlas/avatar/emotions").json()
    ready = body["emotions"]
    assert ready == [e for e in EMOTIONS if e in ready]  # canonical order, plain strings
    assert body["failed"] == []
    emotion = ready[0]
    # Shown first with a quick WebP, replaced by the searched one in the background: wait for it.
    wait_until(lambda: service.work.idle() and not service.serving.rows.pending(), timeout=300)
    image = client.get(f"/agents/atlas/avatar/emotion/{emotion}")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(image.content)).format == "WEBP"
    etag = image.headers["etag"]
    assert "no-cache" in image.headers["cache-control"]
    assert client.get(f"/agents/atlas/avatar/emotion/{emotion}",
                      headers={"If-None-Match": etag}).status_code == 304
    # The URL the emotions answer gives carries the stable key: cacheable forever.
    keyed = client.get(body["urls"][emotion].removeprefix("/api"))
    assert keyed.status_code == 200
    assert keyed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert_error(client.get("/agents/atlas/avatar/emotion/angry"), 400, "Unknown emotion")


# --- bulk defaults and jobs ---------------------------------------------------------------


def test_generate_defaults_job_and_wait(make_client, stub):
    # Through the Gemini stub: its small images keep the defaults and the emotion variants that
    # follow them cheap (the built-in renderer would spend seconds of CPU on the variants).
    client, service = make_client(background=True, AVATARS_CONCURRENCY="2",
                                  **gemini_env(stub))
    register(client, "atlas", description="Closes deals")
    register(client, "custom")
    generate(client, "custom")
    custom_url = client.get("/agents/custom").json()["avatar_url"]

    started = client.post("/agents/avatars/generate-defaults", headers=ADMIN_AUTH)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status_url"] == f"/api/jobs/{job['id']}"
    assert started.headers["location"] == job["status_url"]
    assert {"id", "kind", "status", "total", "done", "failed", "skipped", "errors",
            "summary"} <= set(job)
    assert job["status"] in {"queued", "running", "done"}

    def finished() -> bool:
        status = client.get(f"/jobs/{job['id']}", headers=ADMIN_AUTH).json()["status"]
        return status in {"done", "failed"}

    wait_until(finished, timeout=60)
    final = client.get(f"/jobs/{job['id']}", headers=ADMIN_AUTH).json()
    assert (final["status"], final["total"], final["generated"], final["skipped"],
            final["failed"]) == ("done", 2, 1, 1, 0)
    assert client.get("/agents/atlas").json()["is_default_avatar"] is True
    assert client.get("/agents/custom").json()["avatar_url"] == custom_url  # never touched

    register(client, "bolt")
    waited = client.post("/agents/avatars/generate-defaults?wait=true", headers=ADMIN_AUTH)
    assert waited.status_code == 200, waited.text
    summary = waited.json()
    assert {"generated", "failed", "skipped", "agents", "errors", "message"} <= set(summary)
    assert (summary["generated"], summary["failed"], summary["skipped"], summary["agents"]) == (
        1, 0, 2, ["bolt"])
    assert summary["errors"] == [] and "Generated 1" in summary["message"]
    assert client.get("/agents/bolt").json()["has_avatar"] is True
    service.work.shutdown()  # the emotion variants that follow are not this test's business


def test_generate_defaults_failures_are_summarised(make_client, stub):
    client, service = make_client(background=True, **gemini_env(stub))
    register(client, "atlas")
    stub.push("error", status=400, message="Image generation refused for this prompt")
    waited = client.post("/agents/avatars/generate-defaults?wait=true", headers=ADMIN_AUTH)
    assert waited.status_code == 200, waited.text
    summary = waited.json()
    assert (summary["generated"], summary["failed"], summary["skipped"]) == (0, 1, 0)
    message = summary["errors"][0]["message"]
    assert summary["errors"] == [{"agent": "atlas", "reason": "invalid_input",
                                  "message": message, "error": message}]
    assert "invalid_input: 1" in summary["message"]
    assert service.current_version("atlas") is None


def test_generate_defaults_without_a_key_is_501(make_client):
    client, _ = make_client(background=True, AVATARS_PROVIDER="gemini")  # no key
    register(client, "atlas")
    waited = client.post("/agents/avatars/generate-defaults?wait=true", headers=ADMIN_AUTH)
    assert_error(waited, 501, reason="not_configured")


# --- failure reasons through the real google-genai client ------------------------------


FAILURES = [
    # (scripted answers, HTTP status, reason)
    ([("rate_limited", {"retry_delay_s": 0.01})] * 3, 429, "rate_limited"),
    ([("error", {"status": 400})], 400, "invalid_input"),
    ([("error", {"status": 403, "message": f"API key not valid: {GEMINI_KEY}"})], 501,
     "not_configured"),
    ([("finish", {"reason": "IMAGE_SAFETY"})], 422, "safety_filter"),
    ([("blocked", {"reason": "SAFETY"})], 422, "safety_filter"),
    ([("error", {"status": 504})] * 3, 504, "timeout"),
    ([("error", {"status": 500, "message": f"backend broke near key={GEMINI_KEY}"})] * 3, 502,
     "upstream_error"),
    ([("error", {"status": 503})] * 3, 502, "upstream_error"),
]


@pytest.mark.parametrize(("script", "status", "reason"), FAILURES,
                         ids=[f"{s}-{r}" for _, s, r in FAILURES])
def test_generation_failures_map_to_status_reason_hint(make_client, stub, script, status,
                                                       reason):
    client, service = make_client(**gemini_env(stub))
    service.agents.register("atlas")
    for kind, options in script:
        stub.push(kind, **options)
    response = client.post("/agents/atlas/avatar/generate", json={"identity_prompt": "a robot"},
                           headers=ADMIN_AUTH)
    body = assert_error(response, status, reason=reason)
    assert set(body) == {"detail", "reason", "hint"}
    if reason == "rate_limited":
        assert int(response.headers["retry-after"]) >= 1
    assert stub.calls == len(script)  # transient reasons retried ~3 times, others once
    assert GEMINI_KEY not in response.text
    assert GEMINI_KEY[4:20] not in response.text
    assert service.current_version("atlas") is None


def test_generation_through_gemini_stub_succeeds(make_client, stub):
    client, _ = make_client(**gemini_env(stub))
    register(client, "atlas")
    stub.push("error", status=503)  # one transient failure is retried away
    made = generate(client, "atlas")
    assert stub.calls == 2
    assert made["avatar_url"].startswith("/api/agents/atlas/avatar?v=")
    assert client.get("/agents/atlas/avatar/versions").json()[0]["provider"] == "gemini"
    assert GEMINI_KEY not in client.get("/health").text
    assert stub.requests[0].api_key == GEMINI_KEY


def test_gemini_without_key_is_501_not_configured(make_client):
    client, _ = make_client(AVATARS_PROVIDER="gemini")
    register(client, "atlas")
    response = client.post("/agents/atlas/avatar/generate", json={"identity_prompt": "a robot"},
                           headers=ADMIN_AUTH)
    assert_error(response, 501, reason="not_configured")


# --- OpenAPI ------------------------------------------------------------------------------


TABLE = {
    "/agents": {"get", "post"},
    "/agents/{name}": {"get", "patch", "delete"},
    "/agents/{name}/activities": {"post"},
    "/agents/{name}/avatar": {"get", "delete"},
    "/agents/{name}/avatar/generate": {"post"},
    "/agents/{name}/avatar/regenerate": {"post"},
    "/agents/{name}/avatar/reference": {"get"},
    "/agents/{name}/avatar/identity": {"get"},
    "/agents/{name}/avatar/emotions": {"get"},
    "/agents/{name}/avatar/emotion/{emotion}": {"get"},
    "/agents/{name}/avatar/versions": {"get"},
    "/agents/{name}/avatar/versions/{version_id}/restore": {"post"},
    "/agents/avatars/generate-defaults": {"post"},
    "/jobs/{job_id}": {"get"},
    "/tokens": {"get", "post"},
    "/tokens/{token_id}": {"delete"},
}


def test_openapi_describes_every_endpoint(api):
    client, _ = api
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path, methods in TABLE.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    generate_body = paths["/agents/{name}/avatar/generate"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(generate_body)
    assert "/{path}" not in paths  # the JSON-404 catch-all stays out of the docs


# --- through the real st.App mount --------------------------------------------------------


@pytest.fixture
def mounted_app(tmp_path, monkeypatch) -> Iterator[Any]:
    monkeypatch.setenv("AVATARS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", ADMIN)
    monkeypatch.setenv("AVATARS_PROVIDER", "builtin")
    monkeypatch.setenv("AVATARS_DEMO", "0")
    runtime.reset_shared_service()
    from app import app

    yield app
    runtime.reset_shared_service()


def test_api_through_the_streamlit_mount(mounted_app):
    with TestClient(mounted_app) as client:
        assert client.get("/_stcore/health").status_code == 200
        assert client.get("/api/agents").json() == []
        created = client.post("/api/agents", json={"name": "atlas"}, headers=ADMIN_AUTH)
        assert created.status_code == 201, created.text
        made = client.post("/api/agents/atlas/avatar/generate", headers=ADMIN_AUTH,
                           json={"identity_prompt": "a robot"})
        assert made.status_code == 200, made.text
        url = made.json()["avatar_url"]
        image = client.get(url)
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
        assert image.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get("/api/agents/atlas/avatar",
                          headers={"If-None-Match": image.headers["etag"]}).status_code == 304
        missing = client.get("/api/nope")
        assert missing.status_code == 404 and missing.json()["detail"]
        assert_error(client.get("/api/agents/nobody"), 404, "Agent not found")
        assert client.get("/api/docs").status_code == 200
        assert client.post("/api/agents", json={"name": "x"}).status_code == 401
        runtime.shared_service().work.shutdown()
