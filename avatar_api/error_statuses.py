"""What each operation may answer besides its success, for the OpenAPI document.

Every route lists its error statuses with ``errors(...)``; each gets the one error body's
schema (``ErrorBody``) and a description of when it happens, so a client generated from the
document parses every answer. 500 is on every operation: the request guard answers any failure
nobody foresaw with the same JSON body. So is 429: after a burst of wrong tokens from one
address, the guard answers every request of it that carries a token with 429.
"""

from __future__ import annotations

from typing import Any

from .models import ErrorBody

__all__ = ["IMAGE", "errors", "image_answers"]

_WHEN = {
    304: "Not modified: the copy named by If-None-Match is current",
    400: "Bad input: an invalid agent name or field value (reason invalid_input for a "
         "prompt or an upload)",
    401: "No valid bearer token, or no admin token is configured (demo mode: API writes "
         "are disabled)",
    403: "This needs the admin token",
    404: "Not found (agent, version, job, token or image)",
    409: "Conflict: the name is taken, or the job already finished by itself",
    413: "The request body is over its cap (JSON 1 MB; uploads 10 MB plus form overhead)",
    422: "Malformed request (each field's problem in `errors`); for a generation also "
         "safety_filter",
    429: "Too many failed token checks from this address, or (rate_limited) the provider "
         "quota or the daily budget is spent; retry after Retry-After",
    500: "Internal error (reason unknown); the body never holds a traceback",
    501: "not_configured: no Gemini key, a rejected key, or a model that does not exist",
    502: "upstream_error: the provider failed or answered without an image",
    504: "timeout: the provider did not answer in time",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait before retrying",
                          "schema": {"type": "integer", "minimum": 1}}},
}

IMAGE = {"type": "string", "format": "binary"}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for these error statuses (and 429, 500), each with the error body's
    schema."""
    answers: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, 429, 500}):
        answer: dict[str, Any] = {"model": ErrorBody, "description": _WHEN[status]}
        if status in _HEADERS:
            answer["headers"] = _HEADERS[status]
        answers[status] = answer
    return answers


def image_answers(media_type: str, *statuses: int) -> dict[int | str, dict[str, Any]]:
    """An image GET: the bytes (ETag, Cache-Control), 304 for a current copy, and errors.

    ``media_type`` is what a plain GET answers; ``?format=`` or ``Accept`` may ask for any of
    AVIF, WebP and PNG."""
    cached = {"ETag": {"description": "This representation's digest",
                       "schema": {"type": "string"}},
              "Cache-Control": {"description": "immutable for a versioned URL",
                                "schema": {"type": "string"}},
              "Vary": {"description": "Accept, when the format was negotiated",
                       "schema": {"type": "string"}},
              "X-Avatar-Fallback": {"description": "initials or robot: a ?fallback= face",
                                    "schema": {"type": "string"}}}
    formats = dict.fromkeys((media_type, "image/avif", "image/webp", "image/png"))
    return {
        200: {"description": "The image", "headers": cached,
              "content": {media: {"schema": IMAGE} for media in formats}},
        304: {"description": _WHEN[304], "headers": cached},
        **errors(*statuses),
    }
