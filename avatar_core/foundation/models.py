"""The domain as plain dataclasses and status enums: what the service hands to pages and the API.

Statuses are ``StrEnum``s so that they compare equal to the strings stored in the database and
sent in JSON, while code spells them once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .errors import BadRequest
from .limits import ERROR_QUOTE_CHARS, NAME_MAX_CHARS
from .stored_enums import StoredEnum

__all__ = [
    "AGENT_TYPES",
    "NAME_PATTERN",
    "PICTURE",
    "Activity",
    "ActivityKind",
    "ActivityStatus",
    "Agent",
    "AvatarVersion",
    "Emotion",
    "EmotionSet",
    "ImageFile",
    "ItemStatus",
    "Job",
    "JobError",
    "JobKind",
    "JobStatus",
    "VariantStatus",
    "quote",
    "validate_name",
]


class Emotion(StrEnum):
    """The eight expressions, in canonical order."""

    HAPPY = "happy"
    THOUGHTFUL = "thoughtful"
    SURPRISED = "surprised"
    DETERMINED = "determined"
    CALM = "calm"
    AMUSED = "amused"
    CURIOUS = "curious"
    CONFIDENT = "confident"


AGENT_TYPES: tuple[str, ...] = (
    "business-assistant",
    "code-assistant",
    "research-assistant",
    "creative-assistant",
    "data-analyst",
    "other",
)

NAME_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9_-]{{0,{NAME_MAX_CHARS - 1}}}$")


def validate_name(name: str) -> str:
    """Refuse any agent name that is not a slug, before it can reach the file system."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise BadRequest(
            f"Invalid agent name {quote(str(name))}: use 1-{NAME_MAX_CHARS} lowercase letters, "
            "digits, '-' or '_', starting with a letter or digit"
        )
    return name


def quote(text: str) -> str:
    """User input as an error may show it: repr'd, and cut to a short prefix."""
    if len(text) <= ERROR_QUOTE_CHARS:
        return repr(text)
    return f"{text[:ERROR_QUOTE_CHARS]!r}… ({len(text)} characters)"


class ActivityKind(StrEnum):
    CHAT = "chat"
    SCHEDULE = "schedule"
    TASK = "task"
    MCP = "mcp"
    MANUAL = "manual"


class ActivityStatus(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    RUNNING = "running"
    CANCELLED = "cancelled"


PICTURE = ("upload", "picture")
"""(provider, model) recorded on a version that is an uploaded picture, not a drawing."""


class VariantStatus(StrEnum):
    """An emotion variant's row: waiting to be drawn, drawn, or given up on."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class ProviderName(StoredEnum):
    """Who drew an image (stored on each version and each paid call)."""

    BUILTIN = "builtin"
    GEMINI = "gemini"


class JobMode(StoredEnum):
    """How a bulk job's items are drawn: one call each, or through the provider's batch API."""

    CALLS = "calls"
    BATCH = "batch"


class JobKind(StrEnum):
    DEFAULTS = "defaults"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"  # open, waiting for the budget (reported, never stored)
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"  # stopped by an admin: open items never start, drawn ones are kept

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class ItemStatus(StrEnum):
    """One agent's part of a bulk job."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ImageFile:
    """Bytes to serve plus the digest that names them (ETag); ``key``, an emotion's stable key.

    ``version`` is the digest a versioned URL names when these bytes are a rendition of the
    display image (None: this digest); a ``provisional`` answer stands in for one not made yet,
    so it is never cached for good.
    """

    data: bytes
    digest: str
    media_type: str
    key: str | None = None
    version: str | None = None
    provisional: bool = False


@dataclass(frozen=True)
class Agent:
    """An agent of the platform; ``current_version_id`` points at its avatar, if any."""

    id: int
    name: str
    display_name: str
    type: str
    description: str = ""
    avatar_prompt: str | None = None
    is_system: bool = False
    current_version_id: int | None = None
    current_digest: str | None = None
    is_default_avatar: bool = False

    @property
    def has_avatar(self) -> bool:
        return self.current_version_id is not None


@dataclass(frozen=True)
class AvatarVersion:
    """One generated avatar: display WebP + full-quality reference, and how it was made."""

    id: int
    agent_id: int
    identity_prompt: str
    provider: str
    model: str
    display_blob: str
    reference_blob: str
    style_blob: str | None
    seed: int
    is_default: bool
    template_version: str
    created_at: datetime
    current: bool = False
    refined_prompt: str | None = None  # what the image model got instead of identity_prompt
    refine_error: str | None = None  # why refining failed, on the answer of that generation only

    @property
    def image_prompt(self) -> str:
        """The description variations and emotions start from, so the identity holds."""
        return self.refined_prompt or self.identity_prompt


@dataclass(frozen=True)
class EmotionSet:
    """Which emotion variants exist for an agent's current avatar."""

    agent_name: str
    emotions: list[Emotion]
    version: str
    pending: list[Emotion] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # each variant's reference blob
    unavailable: str | None = None  # why this avatar has no variants at all, if it has none


@dataclass(frozen=True)
class Activity:
    """A span of agent work on the timeline; ``ended_at`` None means still running."""

    id: int
    agent_name: str
    started_at: datetime
    ended_at: datetime | None
    kind: str
    status: str
    summary: str = ""


@dataclass(frozen=True)
class JobError:
    """Why one agent of a bulk job got no default avatar."""

    agent: str
    reason: str
    message: str


@dataclass(frozen=True)
class Job:
    """A persisted unit of background work; ``done`` counts items finished in any way."""

    id: int
    kind: JobKind
    status: JobStatus
    total: int
    done: int
    failed: int
    skipped: int
    errors: list[JobError]
    summary: str
    created_at: datetime
    finished_at: datetime | None = None
    generated: int = 0
    mode: JobMode = JobMode.CALLS
    paused_reason: str | None = None
    resumes_at: datetime | None = None
    agents: tuple[str, ...] = ()  # names of the agents that got a default so far

    @property
    def finished(self) -> bool:
        return self.status.finished
