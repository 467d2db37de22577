"""Gemini image generation through the ``google-genai`` SDK.

Decisions the SDK leaves to us:

- **Timeout**: the SDK waits forever by default; every client gets ``HttpOptions(timeout=ms)``.
- **Retries**: off in the SDK (``HttpRetryOptions(attempts=1)``) — our job runner retries with
  backoff and honours Google's ``RetryInfo`` delay, and a second retry loop underneath would
  multiply attempts and hide the delay.
- **One client per (key, base URL, timeout)**: a ``genai.Client`` that is garbage collected
  closes its HTTP transport, so a client built per call could close under a request still using
  it, and every new client also pays for a new connection pool and TLS handshake.
- **Base URL**: ``base_url`` when given; otherwise the SDK reads ``GOOGLE_GEMINI_BASE_URL``
  itself (proxies and the test server rely on that).
- **Safety blocks are data, not exceptions**: a 200 without an image is read for
  ``prompt_feedback.block_reason`` and ``finish_reason`` before it is called an upstream error.
- **The key stays secret**: it is never part of a message, repr or log line we produce, and
  SDK errors are rewritten by ``to_generation_error`` (which also redacts key-shaped text).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
from collections import OrderedDict
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from PIL import Image, UnidentifiedImageError

from ..foundation.config import DEFAULT_GEMINI_MODEL, DEFAULT_GEMINI_TIMEOUT_S
from ..foundation.errors import (
    FailureReason,
    GenerationError,
    InvalidInput,
    classify_block,
    to_generation_error,
)
from .base import GeneratedImage, ImageRequest

__all__ = ["GeminiProvider", "client_for", "close_clients"]

# A handful of keys/endpoints at most in practice; the bound only stops a leak if keys churn.
_MAX_CLIENTS = 8
_TEXT_EXCERPT_CHARS = 200
# Pillow format → the MIME type Gemini accepts for it (MPO is a phone camera's JPEG).
_ACCEPTED_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "WEBP": "image/webp",
}

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


class GeminiProvider:
    """Draws avatars with a Gemini image model; raises ``GenerationError`` for every failure."""

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        model: str = DEFAULT_GEMINI_MODEL,
        timeout_s: float = DEFAULT_GEMINI_TIMEOUT_S,
        base_url: str | None = None,
    ) -> None:
        self._api_key = (api_key or "").strip()
        self.model = model
        self.timeout_s = float(timeout_s)
        self.base_url = base_url or None

    def __repr__(self) -> str:
        # Spelled out so that the key can never leak through a repr in a log or traceback.
        return (
            f"GeminiProvider(model={self.model!r}, timeout_s={self.timeout_s!r}, "
            f"base_url={self.base_url!r})"
        )

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """One generateContent call (no retries here); the image bytes as Gemini returned them."""
        if not self._api_key:
            # Checked here, not left to the SDK: it would silently fall back to GOOGLE_API_KEY /
            # GEMINI_API_KEY from the environment, bypassing the key chosen in Settings.
            raise GenerationError(FailureReason.NOT_CONFIGURED, "No Gemini API key is configured")
        parts: list[types.Part] = []
        if request.reference:
            data, mime_type = _as_accepted_image(request.reference)
            parts.append(types.Part.from_bytes(data=data, mime_type=mime_type))
        parts.append(types.Part.from_text(text=request.prompt))
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="1:1"),
            # A continuation would be a second billed call outside our retry accounting.
            automatic_continuation=False,
        )
        try:
            client = client_for(self._api_key, self.base_url, self.timeout_s)
            response = client.models.generate_content(
                model=self.model,
                contents=[types.Content(role="user", parts=parts)],
                config=config,
            )
        except (json.JSONDecodeError, genai_errors.UnknownApiResponseError) as exc:
            # A 200 that is not a Gemini answer at all (an HTML page from a proxy or captive
            # portal): like any 200 without an image, the upstream's fault.
            raise GenerationError(
                FailureReason.UPSTREAM_ERROR,
                "The provider answered with something that is not a Gemini response",
            ) from exc
        except Exception as exc:
            raise _without_key(to_generation_error(exc), self._api_key) from exc
        return _image_from(response)


def _without_key(error: GenerationError, api_key: str) -> GenerationError:
    """Belt and braces: ``to_generation_error`` redacts key-shaped text, but a proxy or test
    server may echo a key of any shape; this key, at least, never reaches a message."""
    if api_key not in error.detail:
        return error
    return GenerationError(
        error.reason, error.detail.replace(api_key, "[redacted]"), retry_after=error.retry_after
    )


def _as_accepted_image(data: bytes) -> tuple[bytes, str]:
    """The reference as bytes Gemini accepts, with its real MIME type read from the bytes.

    PNG, JPEG and WebP go as they are (no quality lost); anything else Pillow can read (GIF,
    BMP, TIFF, …) is re-encoded as PNG rather than sent under a type Gemini would refuse.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            mime = _ACCEPTED_FORMATS.get(image.format or "")
            if mime:
                return data, mime
            image.seek(0)
            alpha = "A" in image.getbands() or "transparency" in image.info
            converted = image.convert("RGBA" if alpha else "RGB")
            out = io.BytesIO()
            converted.save(out, format="PNG")
            return out.getvalue(), "image/png"
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidInput("The reference image could not be read as an image") from exc


def _image_from(response: types.GenerateContentResponse) -> GeneratedImage:
    """The first (non-thought) image in the answer, or the GenerationError that explains why
    there is none."""
    texts: list[str] = []
    finish_reasons: list[Any] = []
    for candidate in response.candidates or []:
        finish_reasons.append(candidate.finish_reason)
        content = candidate.content
        for part in (content.parts if content else None) or []:
            if part.thought:
                continue  # interim "thinking" images are drafts, not the answer
            blob = part.inline_data
            if blob and blob.data and (blob.mime_type or "image/").startswith("image/"):
                return GeneratedImage(data=blob.data, mime_type=blob.mime_type or "image/png")
            if part.text:
                texts.append(part.text)

    feedback = response.prompt_feedback
    block_reason = feedback.block_reason if feedback else None
    if classify_block(None, _name(block_reason)) is FailureReason.SAFETY_FILTER:
        raise GenerationError(
            FailureReason.SAFETY_FILTER,
            f"Gemini blocked the prompt (block reason {_name(block_reason)})",
        )
    for finish_reason in finish_reasons:
        if classify_block(_name(finish_reason), None) is FailureReason.SAFETY_FILTER:
            raise GenerationError(
                FailureReason.SAFETY_FILTER,
                f"Gemini withheld the image (finish reason {_name(finish_reason)})",
            )

    detail = "The model answered without an image"
    reasons = sorted({name for r in finish_reasons if (name := _name(r))} - {"STOP"})
    if reasons:
        detail += f" (finish reason {', '.join(reasons)})"
    excerpt = re.sub(r"\s+", " ", " ".join(texts)).strip()
    if excerpt:
        if len(excerpt) > _TEXT_EXCERPT_CHARS:
            excerpt = excerpt[: _TEXT_EXCERPT_CHARS - 1] + "…"
        detail += f": “{excerpt}”"
    raise GenerationError(FailureReason.UPSTREAM_ERROR, detail)


def _name(value: Any) -> str | None:
    """An SDK enum (which tolerates unknown values) or a plain string, as its wire name."""
    if value is None:
        return None
    return str(getattr(value, "value", value)) or None
