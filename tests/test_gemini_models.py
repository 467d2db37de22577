"""Gemini models chosen from what the key can use (``auto``), through the real SDK.

The local server lists a December 2026 lineup and answers 404 NOT_FOUND, in Google's format,
for the names Google shut down; generation, refinement, batch mode, Test key and health all
follow one choice, and the version records the model that drew it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from avatar_api import create_api
from avatar_core.foundation.errors import FailureReason, GenerationError
from avatar_core.providers import gemini_models
from avatar_core.providers.gemini import GeminiProvider
from avatar_core.providers.gemini_batch import GeminiBatches
from avatar_core.providers.gemini_models import WHY_NEWEST, WHY_PREFERRED
from avatar_core.providers.gemini_text import GeminiPromptRefiner
from avatar_core.service import AvatarService
from tests.gemini_server import GeminiStub
from tests.helpers import wait_until

KEY = "AIzaSyTEST-models-0123456789abcdefghijk"
ADMIN = "admin-secret-for-model-tests"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def gemini(make_service: Callable[..., AvatarService]) -> Callable[..., AvatarService]:
    def factory(stub: GeminiStub, *, background: bool = False, **options: str) -> AvatarService:
        values = {"AVATARS_PROVIDER": "gemini", "GEMINI_API_KEY": KEY,
                  "GOOGLE_GEMINI_BASE_URL": stub.url, "AVATARS_ADMIN_TOKEN": ADMIN,
                  "AVATARS_BATCH_POLL_S": "0.05", **options}
        # Without background work no worker prices its next step (which reads the model list)
        # behind the test's back.
        service = make_service(resume=background, **values)
        if not background:
            service.work.shutdown()
        return service

    return factory


# --- what auto picks -----------------------------------------------------------------------


@pytest.mark.parametrize("lineup, image, why", [
    (None, "gemini-3.1-flash-image", WHY_PREFERRED),  # the 2026 lineup
    ({"gemini-3-pro-image", "gemini-3.5-flash"}, "gemini-3-pro-image", WHY_PREFERRED),
    ({"gemini-3.2-flash-image", "gemini-4-flash-image", "gemini-5-flash-image-preview",
      "gemini-3.5-flash"}, "gemini-4-flash-image", WHY_NEWEST),
])
def test_auto_picks_the_first_preferred_image_model_else_the_newest_ga_one(lineup, image, why):
    with GeminiStub(known_models=lineup) as stub:
        choice = GeminiProvider(KEY, base_url=stub.url).choice()
    assert (choice.model, choice.why) == (image, why)


@pytest.mark.parametrize("lineup, text", [
    (None, "gemini-3.5-flash"),
    ({"gemini-3.1-flash-lite", "gemini-3.8-flash", "gemini-3.1-flash-image"},
     "gemini-3.1-flash-lite"),
    ({"gemini-3.8-flash", "gemini-3.8-flash-lite", "gemini-3.9-flash-preview",
      "gemini-3.9-flash-tts", "gemini-4-flash-image"}, "gemini-3.8-flash"),
])
def test_auto_picks_the_text_model_the_same_way(lineup, text):
    with GeminiStub(known_models=lineup) as stub:
        assert GeminiPromptRefiner(KEY, base_url=stub.url).model == text


def test_the_model_list_is_read_once_and_again_after_a_day(monkeypatch):
    with GeminiStub(image_size=32) as stub:
        provider = GeminiProvider(KEY, base_url=stub.url)
        for _ in range(3):
            assert provider.model == "gemini-3.1-flash-image"
        GeminiPromptRefiner(KEY, base_url=stub.url).choice()  # same key: the same list
        assert stub.models.lists == 1
        monkeypatch.setattr(gemini_models, "LIST_TTL_S", 0.0)
        gemini_models.forget(KEY, stub.url)
        provider.choice()
        provider.choice()  # expired at once: listed again
        assert stub.models.lists == 3


def test_a_model_shut_down_under_auto_is_replaced_on_the_same_call(gemini):
    with GeminiStub(image_size=32) as stub:
        service = gemini(stub, AVATARS_REFINE_PROMPT="off")
        service.agents.register("atlas")
        first = service.generate("atlas", "a brass robot")
        stub.models.retire("gemini-3.1-flash-image")  # Google shuts it down overnight
        second = service.generate("atlas", "a copper robot")
        assert (first.model, second.model) == ("gemini-3.1-flash-image", "gemini-3-pro-image")
        assert [r.model for r in stub.requests] == [
            "gemini-3.1-flash-image", "gemini-3.1-flash-image", "gemini-3-pro-image"]
        assert stub.models.lists == 2  # read again after the NOT_FOUND


# --- an explicit model the key cannot use -------------------------------------------------


@pytest.mark.parametrize("retired", ["gemini-2.5-flash-image", "gemini-3-pro-image-preview",
                                     "gemini-2.0-flash-preview-image-generation"])
def test_a_retired_model_named_explicitly_is_not_configured_listing_what_works(gemini, retired):
    with GeminiStub(image_size=32) as stub:
        service = gemini(stub, AVATARS_GEMINI_MODEL=retired, AVATARS_REFINE_PROMPT="off")
        service.agents.register("atlas")
        client = TestClient(create_api(lambda: service))
        answer = client.post("/agents/atlas/avatar/generate",
                             json={"identity_prompt": "a robot"}, headers=AUTH)
    assert answer.status_code == 501, answer.text
    body = answer.json()
    assert body["reason"] == "not_configured"
    assert body["detail"] == (
        f"The Gemini image model '{retired}' is not available to this key (404 NOT_FOUND: shut "
        "down or misspelled); set AVATARS_GEMINI_MODEL to auto or to one of the image models "
        "this key can use: gemini-3.1-flash-image, gemini-3-pro-image")
    assert stub.calls == 1  # a setting to fix: not retried


def test_a_retired_text_model_is_named_and_the_prompt_used_as_written(gemini):
    with GeminiStub(image_size=32) as stub:
        service = gemini(stub, AVATARS_GEMINI_TEXT_MODEL="gemini-2.5-flash",
                         AVATARS_REFINE_PROMPT="on")
        service.agents.register("atlas")
        version = service.generate("atlas", "a brass robot")
    assert version.model == "gemini-3.1-flash-image"
    assert version.refine_error is not None
    assert "'gemini-2.5-flash' is not available to this key" in version.refine_error
    assert "AVATARS_GEMINI_TEXT_MODEL" in version.refine_error
    assert "gemini-3.5-flash, gemini-3.1-flash-lite" in version.refine_error


# --- every path follows the same choice ---------------------------------------------------


def test_refinement_and_generation_follow_the_choice(gemini):
    lineup = {"gemini-3-pro-image", "gemini-3.1-flash-lite"}
    with GeminiStub(image_size=32, known_models=lineup) as stub:
        service = gemini(stub, AVATARS_REFINE_PROMPT="on")
        service.agents.register("atlas")
        version = service.generate("atlas", "a brass robot")
    assert [r.model for r in stub.requests] == ["gemini-3.1-flash-lite", "gemini-3-pro-image"]
    assert (version.provider, version.model) == ("gemini", "gemini-3-pro-image")
    assert version.refined_prompt


def test_batch_mode_follows_the_choice(gemini):
    with GeminiStub(image_size=32, known_models={"gemini-3-pro-image"}) as stub:
        service = gemini(stub, background=True, AVATARS_REFINE_PROMPT="off")
        service.agents.register("atlas")
        service.agents.register("nova")
        job = service.generate_defaults(batch=True)
        wait_until(lambda: service.job_control.get(job.id).finished, timeout=120)
        [record] = stub.batches.created
        assert record.model == "gemini-3-pro-image"
        assert {service.current_version(n).model for n in ("atlas", "nova")} == {
            "gemini-3-pro-image"}
        service.work.shutdown()


def test_a_batch_for_a_retired_model_names_it(gemini):
    with GeminiStub(image_size=32) as stub:
        batches = GeminiBatches(KEY, model="gemini-2.5-flash-image", base_url=stub.url)
        with pytest.raises(GenerationError) as caught:
            _submit_one(batches)
    assert caught.value.reason is FailureReason.NOT_CONFIGURED
    assert "'gemini-2.5-flash-image' is not available to this key" in caught.value.detail


def _submit_one(batches: GeminiBatches) -> str:
    from avatar_core.providers.base import BatchItem, ImageRequest

    request = ImageRequest(kind="identity", agent_name="ada", identity_prompt="a robot",
                           prompt="a robot", seed=1)
    return batches.submit([BatchItem(key="1", request=request)], "x")


def test_test_key_reports_the_model_and_generates_nothing(gemini):
    with GeminiStub(image_size=32) as stub:
        service = gemini(stub)
        ok, message = service.providers.test_key()
        assert ok, message
        assert message == ("The key works: it can use gemini-3.1-flash-image (auto: first of the "
                           "preferred models your key offers). Nothing was generated, so nothing "
                           "was charged.")
        assert (stub.calls, stub.models.gets) == (0, 1)
        named = gemini(stub, AVATARS_GEMINI_MODEL="gemini-2.5-flash-image")
        ok, message = named.providers.test_key()
        assert not ok and message.startswith("not_configured: The Gemini image model "
                                             "'gemini-2.5-flash-image' is not available")
        assert stub.calls == 0


def test_health_shows_the_model_in_use_and_why_without_calling_google(gemini):
    with GeminiStub(image_size=32) as stub:
        service = gemini(stub, AVATARS_REFINE_PROMPT="off")
        client = TestClient(create_api(lambda: service))
        before = client.get("/health").json()
        assert (before["model"], before["model_reason"]) == (
            None, "auto: chosen on the first call")
        assert stub.models.lists == 0  # a public endpoint never calls Google
        service.agents.register("atlas")
        service.generate("atlas", "a brass robot")
        after = client.get("/health").json()
        assert after["provider"] == "gemini (gemini-3.1-flash-image)"
        assert (after["model"], after["model_reason"]) == (
            "gemini-3.1-flash-image", "auto: first of the preferred models your key offers")
        pro = gemini(stub, AVATARS_GEMINI_MODEL="gemini-3-pro-image")
        named = TestClient(create_api(lambda: pro))
        assert named.get("/health").json()["model_reason"] == "set by AVATARS_GEMINI_MODEL"


def test_the_builtin_renderer_has_no_model_to_show(make_service):
    client = TestClient(create_api(lambda: make_service()))
    body = client.get("/health").json()
    assert body["provider"].startswith("builtin") and body["model"] is None
