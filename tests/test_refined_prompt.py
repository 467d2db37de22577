"""Refined prompts end to end: a text-model call before the image call, kept on the version,
answered by generate and regenerate, the start of every variation and emotion.

The real google-genai client talks to ``GeminiStub``, whose text model expands the user's words
(``refined_text_for``); what the image model was asked is read from ``stub.requests``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.pricing import REFINE_PRICE_USD
from avatar_core.providers.gemini_models import PREFERRED_TEXT_MODELS
from tests.conftest import ADMIN, Client
from tests.gemini_server import GeminiStub, ReceivedRequest
from tests.helpers import gemini_env, wait_until

ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}
RAW = "a friendly brass robot librarian"
# GeminiStub's text model answers the user's words, expanded (tests/gemini_wire.py):
REFINED = (f"{RAW}, with a polished brushed-steel face, rounded cheek plates, warm teal eyes "
           "with soft irises, a small antenna and a friendly, confident smile.")
EXPANSION = "polished brushed-steel face"


@pytest.fixture
def make_client(make_client: Callable[..., Client], stub: GeminiStub) -> Callable[..., Client]:
    """Clients over Gemini services that refine every prompt, background work on."""
    return functools.partial(make_client, background=True,
                             **gemini_env(stub, AVATARS_REFINE_PROMPT="on"))


@pytest.fixture
def refining(make_client: Callable[..., Client]) -> Client:
    return make_client()


def text_calls(stub: GeminiStub) -> list[ReceivedRequest]:
    return [r for r in stub.requests if "image" not in r.model]


def image_prompts(stub: GeminiStub, kind: str) -> list[str]:
    """The text part of each image call: "identity" (no reference image), "variation" or
    "emotion" (both start from the reference, told apart by their wording)."""
    prompts = []
    for request in stub.requests:
        if "image" not in request.model:
            continue
        text = request.parts[-1]["text"]
        has_reference = any("inlineData" in part for part in request.parts)
        found = ("identity" if not has_reference
                 else "variation" if text.startswith("Create a fresh variation") else "emotion")
        if found == kind:
            prompts.append(text)
    return prompts


def generate(client: TestClient, prompt: str = RAW) -> dict[str, Any]:
    answer = client.post("/agents/atlas/avatar/generate", json={"identity_prompt": prompt},
                         headers=ADMIN_AUTH)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_text_model_refines_first_and_the_image_model_gets_the_refined_prompt(
        refining, stub):
    client, service = refining
    service.agents.register("atlas")
    service.work.shutdown()

    body = generate(client)

    [text] = text_calls(stub)
    assert text.model == PREFERRED_TEXT_MODELS[0]  # auto: the first preferred text model
    assert text.parts == [{"text": RAW}]  # the user's words, as the only turn
    assert "image" not in stub.requests[0].model  # the text call came first
    [identity] = image_prompts(stub, "identity")
    assert identity.startswith(REFINED)  # then the template's technical block
    assert body["refined_prompt"] == REFINED and body["refine_error"] is None
    assert body["identity_prompt"] == RAW
    version = service.current_version("atlas")
    assert version is not None and version.refined_prompt == REFINED
    assert service.budget.summary().today["refine"] == pytest.approx(REFINE_PRICE_USD)


def test_regenerate_and_every_emotion_start_from_the_refined_prompt(refining, stub):
    client, service = refining
    service.agents.register("atlas")
    generate(client)
    wait_until(lambda: service.emotions("atlas").emotions == list(EMOTIONS))

    again = client.post("/agents/atlas/avatar/regenerate", headers=ADMIN_AUTH)

    assert again.status_code == 200, again.text
    assert again.json()["refined_prompt"] == REFINED
    wait_until(lambda: len(image_prompts(stub, "emotion")) == 2 * len(EMOTIONS))
    assert len(text_calls(stub)) == 1  # the variation was not refined again
    [variation] = image_prompts(stub, "variation")
    assert REFINED in variation
    emotions = image_prompts(stub, "emotion")
    assert all(REFINED in prompt for prompt in emotions)


def test_versions_show_the_refined_prompt_to_editors_only(refining):
    client, service = refining
    service.agents.register("atlas")
    service.work.shutdown()
    generate(client)
    as_editor = client.get("/agents/atlas/avatar/versions", headers=ADMIN_AUTH).json()
    public = client.get("/agents/atlas/avatar/versions").json()
    assert [v["refined_prompt"] for v in as_editor] == [REFINED]
    assert [v["refined_prompt"] for v in public] == [None]
    assert [v["identity_prompt"] for v in public] == [None]


@pytest.mark.parametrize("failure, options, reason", [
    ("error", {"status": 500}, "upstream_error"),
    ("error", {"status": 429, "grpc_status": "RESOURCE_EXHAUSTED"}, "rate_limited"),
    ("empty", {}, "upstream_error"),
    ("finish", {"reason": "SAFETY"}, "safety_filter"),
    ("blocked", {"reason": "PROHIBITED_CONTENT"}, "safety_filter"),
], ids=["500", "429", "empty", "safety-finish", "prompt-blocked"])
def test_a_failing_refinement_uses_the_raw_prompt_and_says_why(refining, stub, failure,
                                                                options, reason):
    client, service = refining
    service.agents.register("atlas")
    stub.push(failure, **options)  # the text model's answer; the image model draws as usual

    body = generate(client)

    assert body["refined_prompt"] is None
    assert body["refine_error"].startswith(f"{reason}:")
    assert "the prompt was used as written" in body["refine_error"]
    [identity] = image_prompts(stub, "identity")
    assert identity.startswith(RAW + "\n") and EXPANSION not in identity
    assert len(text_calls(stub)) == 1  # a failed refinement is not retried: the user waits
    wait_until(lambda: service.emotions("atlas").emotions == list(EMOTIONS))
    assert all(RAW in p and EXPANSION not in p for p in image_prompts(stub, "emotion"))
    assert service.current_version("atlas").refined_prompt is None


def test_refinement_off_or_with_the_builtin_renderer_makes_no_text_call(make_client, stub):
    client, service = make_client(AVATARS_REFINE_PROMPT="off")
    service.agents.register("atlas")
    service.work.shutdown()
    assert generate(client)["refined_prompt"] is None
    assert text_calls(stub) == []

    client, service = make_client(AVATARS_PROVIDER="builtin", AVATARS_DATA_DIR=str(
        service.settings.data_dir.parent / "builtin"))
    service.agents.register("atlas")
    service.work.shutdown()
    assert generate(client)["refined_prompt"] is None
    assert text_calls(stub) == []
