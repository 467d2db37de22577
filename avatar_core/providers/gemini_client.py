"""What every Gemini call shares: the client cache, SDK errors as GenerationErrors, safety reads.

Decisions the SDK leaves to us:

- **Timeout**: the SDK waits forever by default; every client gets ``HttpOptions(timeout=ms)``.
- **Retries**: off in the SDK (``HttpRetryOptions(attempts=1)``) — our job runner retries with
  backoff and honours Google's ``RetryInfo`` delay, and a second retry loop underneath would
  multiply attempts and hide the delay.
- **One client per (key, base URL, timeout)**: a ``genai.Client`` that is garbage collected
  closes its HTTP transport, so a client built per call could close under a request still using
  it, and every new client also pays for a new connection pool and TLS handshake. Image calls,
  prompt refinement and batches with the same key share one client.
- **Base URL**: ``base_url`` when given; otherwise the SDK reads ``GOOGLE_GEMINI_BASE_URL``
  itself (proxies and the test server rely on that).
- **The key stays secret**: it is never part of a message, repr or log line we produce, and
  SDK errors are rewritten by ``call_failure`` (which also redacts key-shaped text).
- **A model that does not exist is a setting to fix**: ``not_found`` replaces a 404's detail
  (``gemini_models.unavailable`` names the model, its setting and what the key can use).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import OrderedDict
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from ..foundation.errors import FailureReason, GenerationError, classify_block, to_generation_error

__all__ = [
    "IMAGE_MODEL_SETTING",
    "TEXT_MODEL_SETTING",
    "call_failure",
    "client_for",
    "close_clients",
    "require_key",
    "safety_failure",
    "wire_name",
]

# The settings that name the models, quoted when Google says a model does not exist.
IMAGE_MODEL_SETTING = "AVATARS_GEMINI_MODEL"
TEXT_MODEL_SETTING = "AVATARS_GEMINI_TEXT_MODEL"

# A handful of keys/endpoints at most in practice; the bound only stops a leak if keys churn.
_MAX_CLIENTS = 8

_clients: OrderedDict[tuple[str, str | None, float], genai.Client] = OrderedDict()
_clients_lock = threading.Lock()


def client_for(api_key: str, base_url: str | None, timeout_s: float) -> genai.Client:
    """The shared ``genai.Client`` for this key, endpoint and timeout (built on first use).

    Evicted clients are not closed here: a generation in another thread may still hold one, and
    the SDK closes the transport when the last reference goes away.
    """
    cache_key = (api_key, base_url, float(timeout_s))
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is not None:
            _clients.move_to_end(cache_key)
            return client
        client = genai.Client(
            api_key=api_key,
            vertexai=False,  # never let GOOGLE_GENAI_USE_VERTEXAI reroute a Gemini API key
            http_options=types.HttpOptions(
                base_url=base_url,  # None: the SDK falls back to GOOGLE_GEMINI_BASE_URL
                timeout=max(1, round(timeout_s * 1000)),  # milliseconds
                retry_options=types.HttpRetryOptions(attempts=1),
            ),
        )
        _clients[cache_key] = client
        while len(_clients) > _MAX_CLIENTS:
            _clients.popitem(last=False)
        return client


def close_clients() -> None:
    """Close and forget every cached client (server shutdown, tests that change the env)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        with contextlib.suppress(Exception):  # best effort; nothing useful to report
            client.close()


def require_key(api_key: str) -> None:
    """Refuse to call without a key of our own choosing.

    Checked here, not left to the SDK: it would silently fall back to GOOGLE_API_KEY /
    GEMINI_API_KEY from the environment, bypassing the key chosen in Settings.
    """
    if not api_key:
        raise GenerationError(FailureReason.NOT_CONFIGURED, "No Gemini API key is configured")


def call_failure(
    exc: BaseException, api_key: str, *, not_found: str | None = None
) -> GenerationError:
    """Anything a Gemini call raised, as the GenerationError a user may read.

    ``not_found`` replaces the detail of a 404 (it says which model or batch and which setting
    to check; Google's own text only says "is not found for API version v1beta").
    """
    if isinstance(exc, json.JSONDecodeError | genai_errors.UnknownApiResponseError):
        # A 200 that is not a Gemini answer at all (an HTML page from a proxy or captive
        # portal): like any 200 without an image, the upstream's fault.
        error = GenerationError(
            FailureReason.UPSTREAM_ERROR,
            "The provider answered with something that is not a Gemini response",
        )
    else:
        error = to_generation_error(exc)
        if not_found and isinstance(exc, genai_errors.APIError) and exc.code == 404:
            error = GenerationError(error.reason, not_found, retry_after=error.retry_after)
    return _without_key(error, api_key)


def _without_key(error: GenerationError, api_key: str) -> GenerationError:
    """Belt and braces: ``to_generation_error`` redacts key-shaped text, but a proxy or test
    server may echo a key of any shape; this key, at least, never reaches a message."""
    if not api_key or api_key not in error.detail:
        return error
    return GenerationError(
        error.reason, error.detail.replace(api_key, "[redacted]"), retry_after=error.retry_after
    )


def safety_failure(response: types.GenerateContentResponse, what: str) -> GenerationError | None:
    """The safety block a 200 answer carries (prompt block first, then finish reasons), if any.

    ``what`` names the thing withheld in the detail ("the image", "the refined prompt").
    """
    feedback = response.prompt_feedback
    block_reason = wire_name(feedback.block_reason if feedback else None)
    if classify_block(None, block_reason) is FailureReason.SAFETY_FILTER:
        return GenerationError(
            FailureReason.SAFETY_FILTER, f"Gemini blocked the prompt (block reason {block_reason})"
        )
    for candidate in response.candidates or []:
        finish_reason = wire_name(candidate.finish_reason)
        if classify_block(finish_reason, None) is FailureReason.SAFETY_FILTER:
            return GenerationError(
                FailureReason.SAFETY_FILTER,
                f"Gemini withheld {what} (finish reason {finish_reason})",
            )
    return None


def wire_name(value: Any) -> str | None:
    """An SDK enum (which tolerates unknown values) or a plain string, as its wire name."""
    if value is None:
        return None
    return str(getattr(value, "value", value)) or None
