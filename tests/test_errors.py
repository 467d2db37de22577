"""classify() and friends on the real signals: the SDK's own exception objects, httpx/httpx2
exceptions, and the finish/block reasons a 200 answer carries."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import httpx
import httpx2
import pytest
from google.genai import errors as genai_errors
from google.genai import types

from avatar_core.foundation.errors import (
    FailureReason,
    GenerationError,
    InvalidInput,
    classify,
    classify_block,
    retry_after_seconds,
    to_generation_error,
)


def google_error(
    code: int, status: str, message: str = "m", details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An error body exactly as the Gemini API sends it."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def api_error(code: int, body: dict[str, Any]) -> genai_errors.APIError:
    """What the SDK raises for ``code``: ClientError for 4xx, ServerError for 5xx."""
    try:
        genai_errors.APIError.raise_error(code, body, None)
    except genai_errors.APIError as exc:
        return exc
    raise AssertionError("raise_error did not raise")


# --- FailureReason -------------------------------------------------------------------------------

DESIGN_TABLE = [
    ("not_configured", "Add GEMINI_API_KEY in Settings → AI Keys", 501),
    ("invalid_input", "Adjust the prompt or upload a different reference image", 400),
    ("safety_filter", "Reword the identity prompt", 422),
    ("rate_limited", "Wait and retry", 429),
    ("timeout", "Retry; if persistent, check provider status", 504),
    ("upstream_error", "Retry; check the platform logs if it recurs", 502),
    ("unknown", "Retry; check the platform logs if it recurs", 500),
]


def test_failure_reason_has_exactly_the_seven_stable_values() -> None:
    assert [reason.value for reason in FailureReason] == [row[0] for row in DESIGN_TABLE]


@pytest.mark.parametrize(("value", "hint", "status"), DESIGN_TABLE)
def test_hint_and_status_follow_the_design_table(value: str, hint: str, status: int) -> None:
    reason = FailureReason(value)
    assert reason == value  # a str enum: serialises as its value
    assert reason.hint == hint
    assert reason.http_status == status


def test_only_transient_reasons_are_retryable() -> None:
    assert {r for r in FailureReason if r.retryable} == {
        FailureReason.RATE_LIMITED,
        FailureReason.TIMEOUT,
        FailureReason.UPSTREAM_ERROR,
    }


def test_generation_error_takes_status_and_hint_from_its_reason() -> None:
    error = GenerationError(FailureReason.RATE_LIMITED, "slow down", retry_after=3)
    assert (error.status, error.hint, error.retry_after) == (429, "Wait and retry", 3)
    assert InvalidInput("bad prompt").reason is FailureReason.INVALID_INPUT


# --- classify() on the SDK's exceptions ----------------------------------------------------------

API_KEY_INVALID = google_error(
    400,
    "INVALID_ARGUMENT",
    "API key not valid. Please pass a valid API key.",
    [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
        }
    ],
)


@pytest.mark.parametrize(
    ("code", "body", "reason"),
    [
        (400, google_error(400, "INVALID_ARGUMENT"), FailureReason.INVALID_INPUT),
        (400, google_error(400, "FAILED_PRECONDITION"), FailureReason.INVALID_INPUT),
        (400, API_KEY_INVALID, FailureReason.NOT_CONFIGURED),
        (401, google_error(401, "UNAUTHENTICATED"), FailureReason.NOT_CONFIGURED),
        (403, google_error(403, "PERMISSION_DENIED"), FailureReason.NOT_CONFIGURED),
        (429, google_error(429, "RESOURCE_EXHAUSTED"), FailureReason.RATE_LIMITED),
        (500, google_error(500, "INTERNAL"), FailureReason.UPSTREAM_ERROR),
        (
            502,
            {"message": "<html>Bad Gateway</html>", "status": "Bad Gateway"},
            FailureReason.UPSTREAM_ERROR,
        ),
        (503, google_error(503, "UNAVAILABLE"), FailureReason.UPSTREAM_ERROR),
        (504, google_error(504, "DEADLINE_EXCEEDED"), FailureReason.TIMEOUT),
        (408, {"message": "Request Timeout", "status": "Request Timeout"}, FailureReason.TIMEOUT),
        # A misspelled model: a setting to fix, not an outage to retry.
        (404, google_error(404, "NOT_FOUND"), FailureReason.NOT_CONFIGURED),
        (404, {"message": "Not Found", "status": "Not Found"}, FailureReason.NOT_CONFIGURED),
        (409, google_error(409, "ALREADY_EXISTS"), FailureReason.UNKNOWN),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else None,
)
def test_sdk_api_errors(code: int, body: dict[str, Any], reason: FailureReason) -> None:
    exc = api_error(code, body)
    assert isinstance(exc, genai_errors.ClientError if code < 500 else genai_errors.ServerError)
    assert classify(exc) is reason


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (httpx2.ReadTimeout("The read operation timed out"), FailureReason.TIMEOUT),
        (httpx2.ConnectTimeout("timed out"), FailureReason.TIMEOUT),
        (httpx2.PoolTimeout("timed out"), FailureReason.TIMEOUT),
        (httpx.ReadTimeout("The read operation timed out"), FailureReason.TIMEOUT),
        (httpx.WriteTimeout("timed out"), FailureReason.TIMEOUT),
        (TimeoutError(), FailureReason.TIMEOUT),
        (TimeoutError(), FailureReason.TIMEOUT),
        (concurrent.futures.TimeoutError(), FailureReason.TIMEOUT),
        (httpx2.ConnectError("[Errno 111] Connection refused"), FailureReason.UPSTREAM_ERROR),
        (httpx.ConnectError("[Errno 111] Connection refused"), FailureReason.UPSTREAM_ERROR),
        (httpx2.RemoteProtocolError("Server disconnected"), FailureReason.UPSTREAM_ERROR),
        (httpx.RemoteProtocolError("Server disconnected"), FailureReason.UPSTREAM_ERROR),
        (httpx2.ReadError("reset"), FailureReason.UPSTREAM_ERROR),
        (ConnectionRefusedError(), FailureReason.UPSTREAM_ERROR),
        (ConnectionResetError(), FailureReason.UPSTREAM_ERROR),
        (ValueError("something else"), FailureReason.UNKNOWN),
        (RuntimeError(), FailureReason.UNKNOWN),
    ],
    ids=lambda value: (
        type(value).__module__ + "." + type(value).__name__
        if isinstance(value, BaseException)
        else None
    ),
)
def test_transport_exceptions(exc: BaseException, reason: FailureReason) -> None:
    assert classify(exc) is reason


def test_our_own_errors_keep_their_reason() -> None:
    assert (
        classify(GenerationError(FailureReason.SAFETY_FILTER, "x")) is FailureReason.SAFETY_FILTER
    )
    assert classify(InvalidInput("x")) is FailureReason.INVALID_INPUT


def test_classify_never_raises() -> None:
    class Hostile(Exception):
        def __getattribute__(self, name: str) -> Any:
            if name in {"code", "status", "details", "__class__"}:
                raise RuntimeError("boom")
            return super().__getattribute__(name)

    assert classify(Hostile()) is FailureReason.UNKNOWN


# --- classify_block() ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finish", "block", "expected"),
    [
        (None, None, None),
        ("STOP", None, None),
        ("MAX_TOKENS", None, None),
        ("NO_IMAGE", None, None),
        ("SAFETY", None, FailureReason.SAFETY_FILTER),
        ("IMAGE_SAFETY", None, FailureReason.SAFETY_FILTER),
        ("PROHIBITED_CONTENT", None, FailureReason.SAFETY_FILTER),
        ("IMAGE_PROHIBITED_CONTENT", None, FailureReason.SAFETY_FILTER),
        ("image_safety", None, FailureReason.SAFETY_FILTER),
        (types.FinishReason.IMAGE_SAFETY, None, FailureReason.SAFETY_FILTER),
        (types.FinishReason.STOP, None, None),
        (None, "SAFETY", FailureReason.SAFETY_FILTER),
        (None, "OTHER", FailureReason.SAFETY_FILTER),
        (None, types.BlockedReason.PROHIBITED_CONTENT, FailureReason.SAFETY_FILTER),
        (None, "BLOCKED_REASON_UNSPECIFIED", None),
        (None, types.BlockedReason.BLOCKED_REASON_UNSPECIFIED, None),
    ],
)
def test_classify_block(finish: Any, block: Any, expected: FailureReason | None) -> None:
    assert classify_block(finish, block) is expected


def test_classify_block_reads_parsed_sdk_responses() -> None:
    """The SDK's enums accept values they don't know; those must not crash the classifier."""
    with pytest.warns(UserWarning, match="SOME_FUTURE_REASON"):
        response = types.GenerateContentResponse.model_validate(
            {
                "candidates": [{"finishReason": "IMAGE_SAFETY"}],
                "promptFeedback": {"blockReason": "SOME_FUTURE_REASON"},
            }
        )
    finish = response.candidates[0].finish_reason  # type: ignore[index]
    block = response.prompt_feedback.block_reason  # type: ignore[union-attr]
    assert classify_block(finish, None) is FailureReason.SAFETY_FILTER
    assert classify_block(None, block) is FailureReason.SAFETY_FILTER


# --- retry_after_seconds() -----------------------------------------------------------------------


@pytest.mark.parametrize(("delay", "seconds"), [("7s", 7.0), ("0.5s", 1.0), ("37s", 37.0)])
def test_retry_info_delay(delay: str, seconds: float) -> None:
    exc = api_error(429, google_error(429, "RESOURCE_EXHAUSTED", details=[retry_info(delay)]))
    assert retry_after_seconds(exc) == seconds


def test_retry_info_among_other_details() -> None:
    details = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
        {"@type": "type.googleapis.com/google.rpc.Help", "links": []},
        retry_info("12s"),
    ]
    exc = api_error(429, google_error(429, "RESOURCE_EXHAUSTED", details=details))
    assert retry_after_seconds(exc) == 12.0


@pytest.mark.parametrize(
    "body",
    [
        google_error(429, "RESOURCE_EXHAUSTED"),
        google_error(429, "RESOURCE_EXHAUSTED", details=[retry_info("soon")]),
        {"message": "Too Many Requests", "status": "Too Many Requests"},
    ],
)
def test_no_usable_delay_is_none(body: dict[str, Any]) -> None:
    assert retry_after_seconds(api_error(429, body)) is None


def test_retry_after_header_when_the_body_has_no_retry_info() -> None:
    response = httpx2.Response(429, headers={"Retry-After": "3"}, json={})
    exc = genai_errors.ClientError(429, {"message": "slow down"}, response)
    assert retry_after_seconds(exc) == 3.0


def test_retry_after_of_our_own_errors_and_of_strangers() -> None:
    assert retry_after_seconds(GenerationError(FailureReason.RATE_LIMITED, "x", retry_after=4)) == 4
    assert retry_after_seconds(httpx2.ReadTimeout("t")) is None
    assert retry_after_seconds(ValueError()) is None


# --- to_generation_error() -----------------------------------------------------------------------


def test_wraps_sdk_errors_with_reason_detail_and_delay() -> None:
    exc = api_error(
        429,
        google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", details=[retry_info("9s")]),
    )
    error = to_generation_error(exc)
    assert error.reason is FailureReason.RATE_LIMITED
    assert error.retry_after == 9.0
    assert error.detail == "Provider error 429: Quota exceeded"


def test_a_missing_model_is_a_configuration_problem_not_worth_a_retry() -> None:
    message = "models/gemini-2.5-flash-imag is not found for API version v1beta"
    error = to_generation_error(api_error(404, google_error(404, "NOT_FOUND", message)))

    assert error.reason is FailureReason.NOT_CONFIGURED
    assert (error.status, error.reason.retryable) == (501, False)
    assert error.detail == f"Provider error 404: {message}"


def test_wraps_transport_errors() -> None:
    assert to_generation_error(httpx2.ReadTimeout("t")).reason is FailureReason.TIMEOUT
    assert to_generation_error(httpx2.ConnectError("c")).reason is FailureReason.UPSTREAM_ERROR


def test_generation_errors_pass_through_unchanged() -> None:
    error = GenerationError(FailureReason.SAFETY_FILTER, "blocked")
    assert to_generation_error(error) is error


def test_key_shaped_text_is_redacted() -> None:
    key = "AIzaSyD-fake-but-key-shaped-0123456789"
    exc = api_error(400, google_error(400, "INVALID_ARGUMENT", f"bad key {key} in ?key={key}"))
    error = to_generation_error(exc)
    assert key not in error.detail
    assert key not in str(error)
    assert "[redacted]" in error.detail


def test_an_unknown_stored_reason_is_kept_and_behaves_as_unknown():
    """A reason written by another version (newer or older) reads back without a crash."""
    stored = FailureReason("quota_exhausted")
    assert stored.value == "quota_exhausted" and stored == "quota_exhausted"
    assert stored.hint == FailureReason.UNKNOWN.hint
    assert stored.http_status == FailureReason.UNKNOWN.http_status
    assert not stored.retryable
    assert len(FailureReason) == 7  # the seven stable values stay the members
