"""The seed system's features through the API: a picture as the avatar itself, and importing
agents from CSV, JSON or a zip with their pictures (hostile zips included).

Requests go through ``TestClient`` into ``create_api`` over a real service on a SQLite file;
Gemini is the real google-genai client against ``GeminiStub``.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.models import PICTURE
from avatar_core.service import AvatarService
from avatar_core.work.emotions import NO_PICTURE_EMOTIONS
from tests import corpus
from tests.gemini_server import GeminiStub
from tests.helpers import gemini_env, wait_until

ADMIN = "admin-secret-for-seed-tests"
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}

Client = tuple[TestClient, AvatarService]


@pytest.fixture
def make_client(make_service: Callable[..., AvatarService]) -> Callable[..., Client]:
    def factory(**env: str) -> Client:
        env.setdefault("AVATARS_ADMIN_TOKEN", ADMIN)
        service = make_service(**env)
        return TestClient(create_api(lambda: service)), service

    return factory


@pytest.fixture
def builtin(make_client: Callable[..., Client]) -> Client:
    return make_client()


@pytest.fixture
def gemini(make_client: Callable[..., Client], stub: GeminiStub) -> Client:
    return make_client(**gemini_env(stub))


def pixels(data: bytes) -> tuple[str, tuple[int, int], bytes]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format or "", image.size, image.convert("RGB").tobytes()


def put_picture(client: TestClient, name: str, data: bytes, filename: str = "me.png",
                headers: dict[str, str] = ADMIN_AUTH) -> Any:
    return client.put(f"/agents/{name}/avatar", files={"image": (filename, data)},
                      headers=headers)


def inline_image(part: dict[str, Any]) -> bytes:
    data = part["inlineData"]["data"]
    return base64.urlsafe_b64decode(data.replace("+", "-").replace("/", "_"))


# --- PUT /api/agents/{name}/avatar -----------------------------------------------------------


def test_a_picture_becomes_the_avatar_itself_kept_whole_as_the_reference(builtin):
    client, service = builtin
    service.agents.register("atlas", "Atlas")
    earlier = service.generate("atlas", "a brass robot")
    upload = corpus.noise_png(1024, 768)

    answer = put_picture(client, "atlas", upload)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] != earlier.id and body["refined_prompt"] is None
    assert "?v=" in body["avatar_url"]
    shown = client.get("/agents/atlas/avatar")
    assert shown.headers["content-type"] == "image/webp"
    assert pixels(shown.content)[:2] == ("WEBP", (512, 384))  # display: 512 px at most
    reference = client.get("/agents/atlas/avatar/reference").content
    assert pixels(reference) == pixels(upload)  # full quality, every pixel as uploaded
    versions = client.get("/agents/atlas/avatar/versions", headers=ADMIN_AUTH).json()
    assert [(v["id"], v["provider"], v["current"]) for v in versions] == [
        (body["version"], PICTURE[0], True), (earlier.id, "builtin", False)]
    identity = client.get("/agents/atlas/avatar/identity", headers=ADMIN_AUTH).json()
    assert identity["has_avatar"] and not identity["is_default"]


@pytest.mark.parametrize("make", [corpus.jpeg, corpus.webp, corpus.cmyk_jpeg, corpus.png16,
                                  corpus.animated_gif])
def test_every_accepted_format_is_re_encoded_to_webp(builtin, make):
    client, service = builtin
    service.agents.register("atlas")
    answer = put_picture(client, "atlas", make(), filename="picture.bin")
    assert answer.status_code == 200, answer.text
    assert client.get("/agents/atlas/avatar").content[8:12] == b"WEBP"
    assert client.get("/agents/atlas/avatar/reference").content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_builtin_renderer_draws_no_emotions_of_a_picture_and_says_why(builtin):
    client, service = builtin
    service.agents.register("atlas")
    assert put_picture(client, "atlas", corpus.png(96, 96)).status_code == 200
    wait_until(service.work.idle)
    found = client.get("/agents/atlas/avatar/emotions").json()
    assert found["emotions"] == [] and found["pending"] == [] and found["failed"] == []
    assert found["unavailable"] == NO_PICTURE_EMOTIONS
    assert "Gemini key" in found["unavailable"]


def test_gemini_draws_a_pictures_emotions_from_the_picture(gemini, stub):
    client, service = gemini
    service.agents.register("atlas", "Atlas")
    upload = corpus.png(80, 80, (20, 160, 90))

    assert put_picture(client, "atlas", upload).status_code == 200
    wait_until(lambda: client.get("/agents/atlas/avatar/emotions").json()["emotions"]
               == list(EMOTIONS))

    assert stub.calls == len(EMOTIONS)  # the picture itself cost no call
    for request in stub.requests:
        first, last = request.parts[0], request.parts[-1]
        assert pixels(inline_image(first)) == pixels(upload)  # the picture goes in first
        assert "Atlas" in last["text"]
    assert client.get("/agents/atlas/avatar/emotions").json()["unavailable"] is None


@pytest.mark.parametrize("data, status, words", [
    (corpus.svg(), 400, "image"),
    (corpus.non_image(), 400, "image"),
    (corpus.truncated_png(), 400, ""),
    (corpus.decompression_bomb(), 400, "pixels"),
    (corpus.oversized(), 413, ""),
])
def test_bad_pictures_are_refused_and_change_nothing(builtin, data, status, words):
    client, service = builtin
    service.agents.register("atlas")
    answer = put_picture(client, "atlas", data)
    assert answer.status_code == status, answer.text
    assert words.lower() in answer.json()["detail"].lower()
    assert "Traceback" not in answer.text
    assert service.versions("atlas") == []


def test_put_needs_an_editor_a_known_agent_and_the_image_field(builtin):
    client, service = builtin
    service.agents.register("atlas")
    assert put_picture(client, "atlas", corpus.png(), headers={}).status_code == 401
    assert put_picture(client, "ghost", corpus.png()).status_code == 404
    wrong_field = client.put("/agents/atlas/avatar", files={"picture": ("a.png", corpus.png())},
                             headers=ADMIN_AUTH)
    assert wrong_field.status_code == 400 and "'image'" in wrong_field.json()["detail"]
    _info, editor = service.tokens.create("ci")
    answer = put_picture(client, "atlas", corpus.png(), headers={"Authorization":
                                                               f"Bearer {editor}"})
    assert answer.status_code == 200


# --- POST /api/agents/import: CSV and JSON -----------------------------------------------------


def import_file(client: TestClient, filename: str, data: bytes,
                headers: dict[str, str] = ADMIN_AUTH) -> Any:
    return client.post("/agents/import", files={"file": (filename, data)}, headers=headers)


def test_csv_and_json_import_answer_imported_and_refused_rows(builtin):
    client, service = builtin
    csv = (b"name,display_name,type\natlas,Atlas,code-assistant\nBad Name,Bad,other\n"
           b"nova,Nova,wizard\n")
    answer = import_file(client, "agents.csv", csv)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["imported"] == ["atlas"]
    assert [(r["row"], r["name"]) for r in body["refused"]] == [(2, "Bad Name"), (3, "nova")]
    assert all(r["detail"] for r in body["refused"])

    rows = json.dumps({"agents": [{"name": "orion", "is_system": True}, {"name": "atlas"}]})
    body = import_file(client, "agents.json", rows.encode()).json()
    assert body["imported"] == ["orion"]
    assert body["refused"][0]["row"] == 2 and "already exists" in body["refused"][0]["detail"]
    assert service.agents.get("orion").is_system


def test_import_is_for_admins_only(builtin):
    client, service = builtin
    _info, editor = service.tokens.create("ci")
    refused = import_file(client, "a.csv", b"name\natlas\n",
                          headers={"Authorization": f"Bearer {editor}"})
    assert refused.status_code == 403
    assert import_file(client, "a.csv", b"name\natlas\n", headers={}).status_code == 401
    assert service.agents.list() == []


# --- POST /api/agents/import: a zip with pictures ----------------------------------------------


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


AGENTS_CSV = (b"name,display_name,type,description\n"
              b"atlas,Atlas,code-assistant,Writes code\n"
              b"nova,Nova,data-analyst,Reads charts\n"
              b"orion,Orion,other,Keeps order\n"
              b"vega,Vega,other,Has no picture\n")


def test_a_zip_imports_the_agents_and_each_picture_becomes_their_default(builtin):
    client, service = builtin
    bundle = make_zip({"agents.csv": AGENTS_CSV, "atlas.png": corpus.png(64, 64),
                       "nova.jpg": corpus.jpeg(70, 50), "orion.webp": corpus.truncated_png(),
                       "ghost.png": corpus.png()})

    answer = import_file(client, "team.zip", bundle)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["imported"] == ["atlas", "nova", "orion", "vega"]
    refused = {r["name"]: r for r in body["refused"]}
    assert set(refused) == {"orion", "ghost"}
    assert refused["orion"]["row"] == 3 and refused["orion"]["detail"].startswith(
        "Picture refused")
    assert "no agent of that name" in refused["ghost"]["detail"]
    for name in ("atlas", "nova"):
        agent = client.get(f"/agents/{name}").json()
        assert agent["has_avatar"] and agent["is_default_avatar"]
        assert client.get(f"/agents/{name}/avatar").content[8:12] == b"WEBP"
    assert not client.get("/agents/orion").json()["has_avatar"]  # imported, without a face
    assert pixels(client.get("/agents/nova/avatar/reference").content)[1] == (70, 50)

    # defaults, so "Generate default avatars" may replace them — and fills in the rest
    assert service.work.bulk.plan().agents == ["atlas", "nova", "orion", "vega"]
    job = service.generate_defaults(wait=True, timeout=120)
    assert job.generated == 4
    assert {service.current_version(n).provider for n in body["imported"]} == {"builtin"}


def test_a_picture_too_big_to_unpack_is_refused_on_its_row_without_unpacking(builtin):
    client, _service = builtin
    bundle = make_zip({"agents.csv": b"name\natlas\nnova\n", "nova.png": corpus.png(),
                       "atlas.png": bytes(11 * 1024 * 1024)})  # 11 MB of zeros, ~11 KB packed
    answer = import_file(client, "team.zip", bundle)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["imported"] == ["atlas", "nova"]
    assert [(r["row"], r["name"]) for r in body["refused"]] == [(1, "atlas")]
    assert client.get("/agents/nova").json()["has_avatar"]


def zip_bomb() -> bytes:
    """One member that unpacks to 256 MB of zeros (about 250 KB packed), honestly declared."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("agents.csv", b"name\natlas\n")
        with archive.open("atlas.png", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(256):
                member.write(chunk)
    return out.getvalue()


PICTURE_BYTES = corpus.png()
ONE_AGENT = b"name\natlas\n"


@pytest.mark.parametrize("members, words", [
    ({"agents.csv": ONE_AGENT, "../atlas.png": PICTURE_BYTES}, "unsafe path"),
    ({"agents.csv": ONE_AGENT, "/tmp/atlas.png": PICTURE_BYTES}, "unsafe path"),
    ({"agents.csv": ONE_AGENT, "pics\\..\\..\\atlas.png": PICTURE_BYTES}, "unsafe path"),
    ({"../../agents.csv": ONE_AGENT}, "unsafe path"),
    ({"agents.csv": ONE_AGENT, "more.json": b"[]"}, "exactly one agents file"),
    ({"atlas.png": PICTURE_BYTES}, "exactly one agents file"),
], ids=["parent-dir", "absolute", "backslashes", "agents-file-outside", "two-agent-files",
        "no-agent-file"])
def test_hostile_zips_are_refused_clearly_and_import_nothing(builtin, members, words):
    client, service = builtin
    answer = import_file(client, "team.zip", make_zip(members))
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["detail"]
    assert service.agents.list() == []


def test_a_zip_of_a_folder_is_read_by_base_names(builtin):
    client, _service = builtin
    bundle = make_zip({"team/agents.csv": ONE_AGENT, "team/pictures/atlas.png": PICTURE_BYTES})
    answer = import_file(client, "team.zip", bundle)
    assert answer.json() == {"imported": ["atlas"], "refused": [], "emotions_queued": 0,
                             "estimated_usd": 0.0}  # the built-in renderer cannot vary it
    assert client.get("/agents/atlas").json()["is_default_avatar"]


def test_a_zip_bomb_declared_in_the_index_is_refused_before_unpacking(builtin):
    client, service = builtin
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024
    answer = import_file(client, "team.zip", bomb)
    assert answer.status_code == 400, answer.text
    assert "unpacks to more than" in answer.json()["detail"]
    assert service.agents.list() == []


@pytest.mark.parametrize("data", [b"not a zip at all", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_zip_is_refused(builtin, data):
    client, service = builtin
    answer = import_file(client, "team.zip", data)
    assert answer.status_code == 400 and "not a valid .zip" in answer.json()["detail"]
    assert service.agents.list() == []
