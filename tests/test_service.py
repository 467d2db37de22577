"""AvatarService use cases on real SQLite files and the built-in provider."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from avatar_core.domain import urls
from avatar_core.foundation.errors import (
    BadRequest,
    Conflict,
    FailureReason,
    GenerationError,
    InvalidInput,
    NotFound,
)
from avatar_core.service import AvatarService
from tests import corpus


def files_under(service: AvatarService) -> set[str]:
    return set(service.blobs.names())


def test_register_list_get(service):
    service.agents.register("atlas", "Atlas", "business-assistant", "Closes deals")
    agent = service.agents.get("atlas")
    assert (agent.display_name, agent.type, agent.has_avatar) == ("Atlas", "business-assistant",
                                                                  False)
    assert [a.name for a in service.agents.list()] == ["atlas"]
    with pytest.raises(Conflict):
        service.agents.register("atlas")


@pytest.mark.parametrize("name", ["", "Atlas", "../etc", "a/b", "-lead", "x" * 64, "ünï", "a b"])
def test_names_are_validated_before_anything_else(service, name):
    with pytest.raises(BadRequest, match="Invalid agent name"):
        service.agents.register(name)
    with pytest.raises(BadRequest, match="Invalid agent name"):
        service.agents.get(name)


def test_unknown_type_is_refused(service):
    with pytest.raises(BadRequest, match="Unknown agent type"):
        service.agents.register("nova", type="wizard")


def test_generate_stores_webp_display_and_full_quality_reference(service):
    service.agents.register("atlas", "Atlas")
    version = service.generate("atlas", "  a brass robot with a monocle  ")
    assert version.identity_prompt == "a brass robot with a monocle"
    display = service.images.avatar("atlas")
    assert display.media_type == "image/webp" and display.data[8:12] == b"WEBP"
    with Image.open(io.BytesIO(display.data)) as img:
        assert max(img.size) <= 512
    reference = service.images.reference("atlas")
    with Image.open(io.BytesIO(reference.data)) as img:
        assert img.format == "PNG" and max(img.size) > 512
    agent = service.agents.get("atlas")
    assert agent.has_avatar and not agent.is_default_avatar
    assert urls.avatar_url(agent) == f"/api/agents/atlas/avatar?v={display.digest[:16]}"


@pytest.mark.parametrize("prompt, words", [
    ("", "empty"), ("   \n ", "empty"), ("x" * 501, "501 characters"),
    ("robot\x00", "control"), ("robot\x1b[31m", "control"),
])
def test_bad_prompts_fail_with_invalid_input(service, prompt, words):
    service.agents.register("atlas")
    with pytest.raises(InvalidInput, match=words) as caught:
        service.generate("atlas", prompt)
    assert caught.value.reason is FailureReason.INVALID_INPUT
    assert files_under(service) == set()


def test_prompt_limits_are_inclusive(service):
    service.agents.register("atlas")
    assert service.generate("atlas", "x" * 500).identity_prompt == "x" * 500
    assert service.generate("atlas", "a\trobot\nwith tabs").identity_prompt == "a\trobot\nwith tabs"


def test_generate_with_reference_keeps_the_style_image(service):
    service.agents.register("atlas")
    version = service.generate("atlas", "robot", corpus.exif_rotated_jpeg())
    assert version.style_blob is not None
    with Image.open(io.BytesIO(service.blobs.read(version.style_blob))) as img:
        assert img.size == (100, 200)  # stored upright


@pytest.mark.parametrize("make", [corpus.non_image, corpus.truncated_png, corpus.empty,
                                  corpus.svg, corpus.decompression_bomb, corpus.oversized])
def test_bad_uploads_fail_with_invalid_input_and_write_nothing(service, make):
    service.agents.register("atlas")
    with pytest.raises(InvalidInput):
        service.generate("atlas", "robot", make())
    assert files_under(service) == set()
    assert service.versions("atlas") == []


def test_regenerate_remove_versions_restore(service):
    service.agents.register("atlas")
    first = service.generate("atlas", "a teal robot")
    second = service.regenerate("atlas")
    assert second.identity_prompt == "a teal robot"
    assert second.display_blob != first.display_blob
    history = service.versions("atlas")
    assert [v.id for v in history] == [second.id, first.id]
    assert [v.current for v in history] == [True, False]

    restored = service.restore("atlas", first.id)
    assert restored.current and service.images.avatar("atlas").digest == \
        first.display_blob.split(".")[0]

    assert service.remove_avatar("atlas") is True
    assert service.remove_avatar("atlas") is False  # idempotent
    assert not service.agents.get("atlas").has_avatar
    with pytest.raises(NotFound):
        service.images.avatar("atlas")
    with pytest.raises(NotFound):
        service.regenerate("atlas")
    with pytest.raises(NotFound):
        service.restore("atlas", 9999)


def test_rename_keeps_avatar_history_and_emotions(service):
    service.agents.register("atlas")
    service.generate("atlas", "a teal robot")
    before = service.images.avatar("atlas")
    renamed = service.agents.update("atlas", new_name="atlas-2", display_name="Atlas Two")
    assert renamed.name == "atlas-2" and renamed.display_name == "Atlas Two"
    assert service.images.avatar("atlas-2").digest == before.digest
    assert len(service.versions("atlas-2")) == 1
    with pytest.raises(NotFound):
        service.agents.get("atlas")
    service.agents.register("nova")
    with pytest.raises(Conflict):
        service.agents.update("nova", new_name="atlas-2")
    with pytest.raises(BadRequest):
        service.agents.update("nova", new_name="")


def test_delete_removes_every_file_only_that_agent_used(service):
    from tests.helpers import wait_until, work_settled

    service.agents.register("atlas")
    service.agents.register("nova")
    service.generate("atlas", "robot one", corpus.png(64, 64, (200, 30, 30)))
    service.regenerate("atlas")
    service.generate("nova", "robot two")
    wait_until(lambda: work_settled(service), timeout=300)
    nova_files = service.files.referenced(agent_id=service.agents.get("nova").id)
    atlas_files = service.files.referenced(agent_id=service.agents.get("atlas").id)
    service.delete_agent("atlas")
    # nova's own files and its renditions stay; atlas's files and renditions are gone
    assert nova_files <= files_under(service) == service.files.referenced()
    assert not (atlas_files - nova_files) & files_under(service)
    with pytest.raises(NotFound):
        service.agents.get("atlas")


def test_shared_files_survive_until_nothing_references_them(service):
    service.agents.register("atlas")
    service.agents.register("nova")
    a = service.generate("atlas", "same prompt")
    service.generate("nova", "same prompt")  # different name → different robot
    service.delete_agent("nova")
    assert service.blobs.exists(a.display_blob)


def test_activities_recorded_and_validated(service):
    service.agents.register("atlas")
    now = datetime.now(UTC)
    service.record_activity("atlas", started_at=now - timedelta(minutes=5), ended_at=now,
                            kind="chat", status="success", summary="Answered")
    service.record_activity("atlas", started_at=now, ended_at=None, kind="task",
                            status="running")
    rows = service.activities.frame().to_dict("records")
    assert [(r["agent_name"], r["kind"], r["status"]) for r in rows] == [
        ("atlas", "chat", "success"), ("atlas", "task", "running")]
    with pytest.raises(BadRequest):
        service.record_activity("atlas", started_at=now, ended_at=now - timedelta(1),
                                kind="chat", status="success")
    with pytest.raises(BadRequest):
        service.record_activity("atlas", started_at=now, ended_at=now, kind="dance",
                                status="success")
    with pytest.raises(NotFound):
        service.record_activity("ghost", started_at=now, ended_at=now, kind="chat",
                                status="success")


def test_demo_data_is_seeded_on_an_empty_database_only(make_service, tmp_path):
    service = make_service(AVATARS_DEMO="1")
    agents = service.agents.list()
    assert len(agents) == 12 and sum(a.is_system for a in agents) == 2
    assert len({a.type for a in agents}) == 6
    assert len(service.activities.frame().to_dict("records")) > 12 * 20
    service.close()
    again = make_service(AVATARS_DEMO="1")
    assert len(again.agents.list()) == 12


def test_provider_choice(make_service):
    service = make_service(AVATARS_PROVIDER="auto")
    assert service.providers.active().name == "builtin"
    service.providers.save_key("AIzaTESTKEY1234567890abcdef")
    assert service.providers.active().name == "gemini"
    assert service.providers.key_source() == "saved in Settings"
    assert "TESTKEY" not in (service.providers.masked_key() or "")
    service.providers.set_choice("builtin")
    assert service.providers.active().name == "builtin"
    service.providers.remove_key()
    service.providers.set_choice("gemini")
    with pytest.raises(GenerationError) as caught:
        service.providers.active()
    assert caught.value.reason is FailureReason.NOT_CONFIGURED
    service.agents.register("atlas")
    with pytest.raises(GenerationError) as caught:
        service.generate("atlas", "robot")
    assert caught.value.status == 501


def test_saved_key_overrides_environment(make_service):
    service = make_service(GEMINI_API_KEY="env-key-123")
    assert service.providers.gemini_key() == "env-key-123"
    assert service.providers.key_source() == "environment"
    service.providers.save_key("saved-key-456")
    assert service.providers.gemini_key() == "saved-key-456"
    with pytest.raises(InvalidInput):
        service.providers.save_key("has spaces in it")


def test_record_activities_in_bulk_checks_every_row_first(service):
    service.agents.register("atlas")
    now = datetime.now(UTC)
    good = {"agent_name": "atlas", "started_at": now - timedelta(minutes=1), "ended_at": now,
            "kind": "chat", "status": "success", "summary": "ok"}
    assert service.record_activities([good, {**good, "kind": "task"}]) == 2
    with pytest.raises(BadRequest):
        service.record_activities([good, {**good, "status": "exploded"}])
    with pytest.raises(NotFound):
        service.record_activities([{**good, "agent_name": "ghost"}])
    # nothing from the refused batches:
    assert len(service.activities.frame().to_dict("records")) == 2
