"""GeminiPromptRefiner through the real google-genai client against the local Gemini stub.

What the SDK put on the wire (system instruction, thinking budget, output room) is read from
``stub.requests``; every failure must come back as a classified GenerationError, so that the
caller can fall back to the user's own prompt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gemini_server import GeminiStub, refused_url

from avatar_core.foundation.errors import FailureReason, GenerationError
from avatar_core.providers import ImageRequest
from avatar_core.providers.base import PromptRefiner
from avatar_core.providers.gemini import GeminiProvider
from avatar_core.providers.gemini_client import client_for, close_clients
from avatar_core.providers.gemini_text import (
    REFINE_MAX_OUTPUT_TOKENS,
    REFINE_SYSTEM_INSTRUCTION,
    REFINED_PROMPT_MAX_CHARS,
    GeminiPromptRefiner,
    clean_refined_text,
)

KEY = "test-secret-gemini-key-7d2a90"
REFINED = (
    "A friendly brass robot with teal eyes, riveted copper cheek plates, a dented visor pushed "
    "up on its forehead and a small, curious smile."
)


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    close_clients()
    yield
    close_clients()


@pytest.fixture
def refiner(stub: GeminiStub) -> GeminiPromptRefiner:
    return GeminiPromptRefiner(KEY, base_url=stub.url, timeout_s=5)


def fail(refiner: GeminiPromptRefiner, prompt: str = "a brass robot") -> GenerationError:
    with pytest.raises(GenerationError) as info:
        refiner.refine_prompt(prompt)
    return info.value


# --- the request ---------------------------------------------------------------------------------


def test_returns_the_models_refined_text(stub: GeminiStub, refiner: GeminiPromptRefiner) -> None:
    stub.push("text", text=REFINED)
    assert refiner.refine_prompt("a brass robot with teal eyes") == REFINED
    assert stub.calls == 1


def test_one_call_to_the_text_model_with_the_users_prompt_as_the_only_turn(
    stub: GeminiStub, refiner: GeminiPromptRefiner
) -> None:
    refined = refiner.refine_prompt("  a brass robot with teal eyes \n")

    sent = stub.requests[0]
    assert sent.model == "gemini-3.5-flash"
    assert sent.parts == [{"text": "a brass robot with teal eyes"}]
    assert len(sent.body["contents"]) == 1
    # The stub's default text answer expands the user's words: they came back unchanged.
    assert refined.startswith("a brass robot with teal eyes, ")


def test_system_instruction_asks_for_one_description_without_framing(
    stub: GeminiStub, refiner: GeminiPromptRefiner
) -> None:
    refiner.refine_prompt("a robot")

    instruction = stub.requests[0].system_instruction
    assert instruction == REFINE_SYSTEM_INSTRUCTION
    lowered = instruction.lower()
    for demand in ("one specific portrait description", "keep every detail the user gave",
                   "framing", "background", "lighting", "plain text"):
        assert demand in lowered
    for aspect in ("appearance", "materials", "colours", "accessories", "expression"):
        assert aspect in lowered
    assert "at most 1000 characters" in lowered  # under the hard cut: the cut stays rare


def test_no_thinking_and_ample_output_room(stub: GeminiStub, refiner: GeminiPromptRefiner) -> None:
    refiner.refine_prompt("a robot")

    sent = stub.requests[0]
    assert sent.thinking_budget == 0
    assert sent.max_output_tokens == REFINE_MAX_OUTPUT_TOKENS == 1024
    assert "responseModalities" not in sent.generation_config  # text, the model's default


def test_a_configured_text_model_is_used(stub: GeminiStub) -> None:
    GeminiPromptRefiner(KEY, model="gemini-3.1-flash-lite", base_url=stub.url).refine_prompt("x")
    assert stub.requests[0].model == "gemini-3.1-flash-lite"


def test_is_a_prompt_refiner(refiner: GeminiPromptRefiner) -> None:
    assert isinstance(refiner, PromptRefiner)
    assert refiner.model == "gemini-3.5-flash"


def test_shares_the_image_providers_client(stub: GeminiStub) -> None:
    request = ImageRequest(
        kind="identity", agent_name="bot", identity_prompt="a", prompt="a", seed=1
    )
    GeminiProvider(KEY, base_url=stub.url, timeout_s=5).generate(request)
    shared = client_for(KEY, stub.url, 5)
    GeminiPromptRefiner(KEY, base_url=stub.url, timeout_s=5).refine_prompt("a robot")

    assert client_for(KEY, stub.url, 5) is shared
    assert [sent.model for sent in stub.requests] == ["gemini-3.1-flash-image", "gemini-3.5-flash"]


# --- the answer, cleaned and cut -----------------------------------------------------------------


def test_a_long_answer_is_cut_at_the_limit_on_a_word_boundary(
    stub: GeminiStub, refiner: GeminiPromptRefiner
) -> None:
    words = " ".join(f"detail{i}" for i in range(600))  # ~5000 characters
    stub.push("text", text=words)

    refined = refiner.refine_prompt("a robot")

    assert REFINED_PROMPT_MAX_CHARS - 80 <= len(refined) <= REFINED_PROMPT_MAX_CHARS == 1500
    assert words.startswith(refined)
    assert words[len(refined)] == " "  # the cut fell between two words


def test_an_answer_cut_short_by_max_tokens_is_still_used(
    stub: GeminiStub, refiner: GeminiPromptRefiner
) -> None:
    stub.push("text", text=REFINED, finish="MAX_TOKENS")
    assert refiner.refine_prompt("a robot") == REFINED


@pytest.mark.parametrize(
    ("answer", "cleaned"),
    [
        ("A robot.\n\nWith teal\teyes.", "A robot. With teal eyes."),
        ('"A robot with teal eyes."', "A robot with teal eyes."),
        ("**A robot** with __teal__ eyes", "A robot with teal eyes"),
        ("A robot\x00 with\x07 teal eyes\x1b", "A robot with teal eyes"),
    ],
    ids=["whitespace", "quotes", "markdown", "control-characters"],
)
def test_the_answer_becomes_one_line_of_plain_text(
    stub: GeminiStub, refiner: GeminiPromptRefiner, answer: str, cleaned: str
) -> None:
    stub.push("text", text=answer)
    assert refiner.refine_prompt("a robot") == cleaned


def test_cleaning_a_word_longer_than_the_slack_cuts_inside_it() -> None:
    text = "a " + "x" * 3000
    assert clean_refined_text(text) == text[:REFINED_PROMPT_MAX_CHARS]


# --- failures: all GenerationErrors, so the caller falls back ------------------------------------


@pytest.mark.parametrize(
    ("kind", "options"),
    [("empty", {}), ("empty", {"no_candidates": True}), ("text", {"text": "  \n\t "})],
    ids=["no-parts", "no-candidates", "blank-text"],
)
def test_an_empty_answer_is_an_upstream_error(
    stub: GeminiStub, refiner: GeminiPromptRefiner, kind: Any, options: dict[str, Any]
) -> None:
    stub.push(kind, **options)

    error = fail(refiner)

    assert error.reason is FailureReason.UPSTREAM_ERROR
    assert error.detail == "The text model answered without a refined prompt"


def test_an_empty_answer_names_an_unusual_finish_reason(
    stub: GeminiStub, refiner: GeminiPromptRefiner
) -> None:
    stub.push("empty", finish="MAX_TOKENS")
    assert "MAX_TOKENS" in fail(refiner).detail


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("blocked", "SAFETY"), ("blocked", "PROHIBITED_CONTENT"), ("finish", "SAFETY"),
     ("finish", "PROHIBITED_CONTENT")],
)
def test_a_safety_block_is_safety_filter(
    stub: GeminiStub, refiner: GeminiPromptRefiner, kind: Any, reason: str
) -> None:
    stub.push(kind, reason=reason)

    error = fail(refiner)

    assert error.reason is FailureReason.SAFETY_FILTER
    assert reason in error.detail


@pytest.mark.parametrize(
    ("kind", "options", "reason"),
    [
        ("error", {"status": 400}, FailureReason.INVALID_INPUT),
        ("error", {"status": 403}, FailureReason.NOT_CONFIGURED),
        ("error", {"status": 500}, FailureReason.UPSTREAM_ERROR),
        ("error", {"status": 503}, FailureReason.UPSTREAM_ERROR),
        ("rate_limited", {"retry_delay_s": 4}, FailureReason.RATE_LIMITED),
        ("drop", {}, FailureReason.UPSTREAM_ERROR),
        ("not_json", {}, FailureReason.UPSTREAM_ERROR),
    ],
    ids=["400", "403", "500", "503", "429", "drop", "not-json"],
)
def test_http_errors_are_classified_and_not_retried_by_the_sdk(
    stub: GeminiStub,
    refiner: GeminiPromptRefiner,
    kind: Any,
    options: dict[str, Any],
    reason: FailureReason,
) -> None:
    stub.push(kind, **options)

    error = fail(refiner)

    assert error.reason is reason
    assert stub.calls == 1
    if kind == "rate_limited":
        assert error.retry_after == 4.0


def test_a_misspelled_text_model_is_not_configured_and_named() -> None:
    with GeminiStub(known_models={"gemini-3.5-flash", "gemini-3.1-flash-image"}) as stub:
        error = fail(GeminiPromptRefiner(KEY, model="gemini-3.5-flsh", base_url=stub.url))

    assert error.reason is FailureReason.NOT_CONFIGURED
    assert error.detail == (
        "The Gemini text model 'gemini-3.5-flsh' is not available to this key (404 NOT_FOUND: "
        "shut down or misspelled); set AVATARS_GEMINI_TEXT_MODEL to auto or to one of the text "
        "models this key can use: gemini-3.5-flash"
    )


def test_slow_answer_beyond_the_timeout_is_a_timeout(stub: GeminiStub) -> None:
    stub.push("slow", delay_s=8)

    started = time.monotonic()
    error = fail(GeminiPromptRefiner(KEY, base_url=stub.url, timeout_s=1))

    assert error.reason is FailureReason.TIMEOUT
    assert time.monotonic() - started < 4  # gave up at the timeout, not after the 8 s answer


def test_slow_answer_within_the_timeout_is_refined(stub: GeminiStub) -> None:
    stub.push("slow", delay_s=0.3)
    refined = GeminiPromptRefiner(KEY, base_url=stub.url, timeout_s=3).refine_prompt("a robot")
    assert refined.startswith("a robot, ")


def test_no_key_is_not_configured_without_a_call(
    stub: GeminiStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "env-key-the-refiner-must-not-use")

    error = fail(GeminiPromptRefiner("", base_url=stub.url))

    assert error.reason is FailureReason.NOT_CONFIGURED
    assert stub.calls == 0


def test_a_blank_prompt_is_invalid_input_without_a_call(
    stub: GeminiStub, refiner: GeminiPromptRefiner
) -> None:
    assert fail(refiner, " \n ").reason is FailureReason.INVALID_INPUT
    assert stub.calls == 0


def test_the_key_never_appears_in_errors_reprs_or_logs(
    stub: GeminiStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    refiner = GeminiPromptRefiner(KEY, base_url=stub.url, timeout_s=1)
    stub.push("error", status=400, message=f"API key not valid: {KEY}")  # a proxy echoing it
    stub.push("empty")
    stub.push("blocked")
    stub.push("slow", delay_s=5)
    errors = [fail(refiner) for _ in range(4)]
    errors.append(fail(GeminiPromptRefiner(KEY, base_url=refused_url(), timeout_s=1)))

    assert [e.reason for e in errors] == [
        FailureReason.NOT_CONFIGURED,
        FailureReason.UPSTREAM_ERROR,
        FailureReason.SAFETY_FILTER,
        FailureReason.TIMEOUT,
        FailureReason.UPSTREAM_ERROR,
    ]
    for error in errors:
        assert KEY not in f"{error} {error!r} {error.detail}"
    assert KEY not in repr(refiner)
    assert KEY not in caplog.text
