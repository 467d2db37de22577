"""Gemini image generation through the ``google-genai`` SDK.

The client, its timeout and retry policy, and the translation of SDK errors live in
``gemini_client``; this module builds the image request (shared with batches, so an avatar
drawn in a batch is asked for exactly like one drawn interactively) and reads the answer.

- **Safety blocks are data, not exceptions**: a 200 without an image is read for
  ``prompt_feedback.block_reason`` and ``finish_reason`` before it is called an upstream error.
- **The reference goes first**: an inline image part before the text, in a MIME type Gemini
  accepts (read from the bytes, not trusted from an upload's name).
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass

from google.genai import types
from PIL import Image, UnidentifiedImageError

from ..foundation import imaging
from ..foundation.errors import FailureReason, GenerationError, InvalidInput
from .base import GeneratedImage, ImageRequest
from .gemini_client import client_for, close_clients, require_key, safety_failure, wire_name
from .gemini_endpoint import GeminiEndpoint

__all__ = ["GeminiProvider", "ImageCall", "client_for", "close_clients", "image_call", "image_from"]

_TEXT_EXCERPT_CHARS = 200
# Pillow format → the MIME type Gemini accepts for it (MPO is a phone camera's JPEG).
_ACCEPTED_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "WEBP": "image/webp",
}


@dataclass(frozen=True)
class ImageCall:
    """One generateContent request for an avatar, as SDK types (sent as is, or batched)."""

    contents: list[types.Content]
    config: types.GenerateContentConfig


def image_call(request: ImageRequest) -> ImageCall:
    """The request Gemini gets for ``request``: reference image part first, then the prompt;
    one square image back. Raises InvalidInput for a reference that is not an image."""
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
    return ImageCall(contents=[types.Content(role="user", parts=parts)], config=config)


class GeminiProvider(GeminiEndpoint):
    """Draws avatars with a Gemini image model; raises ``GenerationError`` for every failure."""

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """One generateContent call (no retries here); the image bytes as Gemini returned them."""
        require_key(self._api_key)
        call = image_call(request)
        config = call.config
        if request.deadline_s is not None and request.deadline_s < self.timeout_s:
            timeout_ms = max(1000, round(request.deadline_s * 1000))
            config = config.model_copy(update={"http_options": types.HttpOptions(
                timeout=timeout_ms)})
        response = self.calling(lambda model: self._client().models.generate_content(
            model=model, contents=call.contents, config=config))
        return image_from(response)


def _as_accepted_image(data: bytes) -> tuple[bytes, str]:
    """The reference as bytes Gemini accepts, with its real MIME type read from the bytes.

    PNG, JPEG and WebP go as they are (no quality lost) when within the inline limits
    (``imaging.inline_reference``); anything else Pillow can read (GIF, BMP, TIFF, …) is
    re-encoded as PNG rather than sent under a type Gemini would refuse.
    """
    with contextlib.suppress(InvalidInput):  # not one of our formats: read (or refused) below
        data = imaging.inline_reference(data)
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


def image_from(response: types.GenerateContentResponse) -> GeneratedImage:
    """The first (non-thought) image in the answer, or the GenerationError that explains why
    there is none (the same reading for interactive and batch answers)."""
    texts: list[str] = []
    for candidate in response.candidates or []:
        content = candidate.content
        for part in (content.parts if content else None) or []:
            if part.thought:
                continue  # interim "thinking" images are drafts, not the answer
            blob = part.inline_data
            if blob and blob.data and (blob.mime_type or "image/").startswith("image/"):
                return GeneratedImage(data=blob.data, mime_type=blob.mime_type or "image/png")
            if part.text:
                texts.append(part.text)

    blocked = safety_failure(response, "the image")
    if blocked is not None:
        raise blocked

    detail = "The model answered without an image"
    finish_reasons = {wire_name(c.finish_reason) for c in response.candidates or []}
    reasons = sorted({name for name in finish_reasons if name} - {"STOP"})
    if reasons:
        detail += f" (finish reason {', '.join(reasons)})"
    excerpt = re.sub(r"\s+", " ", " ".join(texts)).strip()
    if excerpt:
        if len(excerpt) > _TEXT_EXCERPT_CHARS:
            excerpt = excerpt[: _TEXT_EXCERPT_CHARS - 1] + "…"
        detail += f": “{excerpt}”"
    raise GenerationError(FailureReason.UPSTREAM_ERROR, detail)
