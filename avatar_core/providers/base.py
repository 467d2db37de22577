"""The one seam between the product and image generators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from ..foundation.models import Emotion

__all__ = ["GeneratedImage", "ImageProvider", "ImageRequest", "RequestKind"]

RequestKind = Literal["identity", "variation", "emotion"]


@dataclass(frozen=True)
class ImageRequest:
    """Everything a provider may use to draw one avatar.

    ``prompt`` is the full text (template applied). ``reference`` is the image to start from
    (an upload for a new avatar, the current reference for a variation or an emotion);
    ``style_image`` is the user's uploaded style image, if the avatar has one. ``seed`` makes
    the built-in renderer deterministic; emotions reuse their base avatar's seed.
    """

    kind: RequestKind
    agent_name: str
    identity_prompt: str
    prompt: str
    seed: int
    reference: bytes | None = None
    style_image: bytes | None = None
    emotion: Emotion | None = None


@dataclass(frozen=True)
class GeneratedImage:
    """Raw bytes as the provider returned them (full quality; becomes the reference)."""

    data: bytes
    mime_type: str = "image/png"


@runtime_checkable
class ImageProvider(Protocol):
    """Draws images; raises ``GenerationError`` (or anything ``classify()`` understands)."""

    name: str
    model: str

    def generate(self, request: ImageRequest) -> GeneratedImage: ...
