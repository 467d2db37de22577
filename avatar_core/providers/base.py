"""The one seam between the product and image generators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from ..foundation.errors import GenerationError
from ..foundation.models import Emotion

__all__ = [
    "BatchImageProvider",
    "BatchItem",
    "BatchState",
    "BatchStatus",
    "GeneratedImage",
    "ImageProvider",
    "ImageRequest",
    "PromptRefiner",
    "RequestKind",
]

RequestKind = Literal["identity", "variation", "emotion"]


@dataclass(frozen=True)
class ImageRequest:
    """Everything a provider may use to draw one avatar.

    ``prompt`` is the full text (template applied). ``reference`` is the image to start from
    (an upload for a new avatar, the current reference for a variation or an emotion);
    ``style_image`` is the user's uploaded style image, if the avatar has one. ``seed`` makes
    the built-in renderer deterministic; emotions reuse their base avatar's seed.
    ``deadline_s`` bounds this one call below the provider's own timeout: what is left of the
    caller's retry deadline (a person waiting is told "about 20 s").
    """

    kind: RequestKind
    agent_name: str
    identity_prompt: str
    prompt: str
    seed: int
    reference: bytes | None = None
    style_image: bytes | None = None
    emotion: Emotion | None = None
    deadline_s: float | None = None


@dataclass(frozen=True)
class GeneratedImage:
    """Raw bytes as the provider returned them (full quality; becomes the reference)."""

    data: bytes
    mime_type: str = "image/png"


@runtime_checkable
class ImageProvider(Protocol):
    """Draws images; raises ``GenerationError`` (or anything ``classify()`` understands)."""

    name: str

    @property
    def model(self) -> str: ...  # the model a call would use now (`auto` resolved)

    def generate(self, request: ImageRequest) -> GeneratedImage: ...


@runtime_checkable
class PromptRefiner(Protocol):
    """Expands a short identity prompt into a specific portrait description.

    Raises ``GenerationError`` on any failure (an empty answer and a safety block included), so
    that the caller can fall back to the user's own prompt.
    """

    @property
    def model(self) -> str: ...

    def refine_prompt(self, identity_prompt: str) -> str: ...


# --- batches: many images for half the price, results within a day ---------------------------


@dataclass(frozen=True)
class BatchItem:
    """One image of a batch; ``key`` (unique in the batch) is how its result comes back."""

    key: str
    request: ImageRequest


class BatchState(StrEnum):
    """Where a batch is; the last four are final."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def done(self) -> bool:
        """Final: polling again will not change anything."""
        return self not in (BatchState.PENDING, BatchState.RUNNING)


@dataclass(frozen=True)
class BatchStatus:
    """A batch as last polled.

    ``results`` is filled once the batch succeeded: each item's image, or the GenerationError
    that explains why it has none (classified like an interactive answer). A key that is
    missing did not come back at all. ``error`` says why a failed, expired or cancelled batch
    ended without results.
    """

    name: str
    state: BatchState
    results: Mapping[str, GeneratedImage | GenerationError] = field(default_factory=dict)
    error: GenerationError | None = None

    @property
    def done(self) -> bool:
        return self.state.done


@runtime_checkable
class BatchImageProvider(Protocol):
    """Submits many image requests at once and is polled for them, possibly after a restart."""

    name: str

    @property
    def model(self) -> str: ...  # the model a call would use now (`auto` resolved)

    def submit(self, items: Sequence[BatchItem], display_name: str) -> str:
        """Create the batch; its name (store it to poll after a restart)."""
        ...

    def status(self, name: str) -> BatchStatus: ...

    def find(self, display_name: str) -> str | None:
        """The name of a batch already created under ``display_name``, or None."""
        ...
