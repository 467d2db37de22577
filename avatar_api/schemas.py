"""Request models and response shapes of the API, in one place.

Request models bound every string generously (a cap against abuse); the product's own checks
then answer the precise 400 with the real limit. Shapes follow DESIGN.md's API contract: the
``*_json`` functions build each answer, and the ``*Out`` models below declare the same shapes
in the OpenAPI document (the routes name them as ``response_model``), so a client generated
from the document parses every answer. The models forbid extra keys: a field added to a
``*_json`` function and not to its model fails loudly in the tests instead of vanishing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from avatar_core.domain import urls
from avatar_core.foundation.errors import FailureReason
from avatar_core.foundation.limits import (
    DESCRIPTION_MAX_CHARS,
    DISPLAY_NAME_MAX_CHARS,
    PROMPT_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    TOKEN_NAME_MAX_CHARS,
)
from avatar_core.foundation.models import (
    Activity,
    Agent,
    AvatarVersion,
    Emotion,
    EmotionSet,
    Job,
    JobKind,
    JobStatus,
)
from avatar_core.service import AvatarService
from avatar_core.work.agent_import import ImportResult
from avatar_core.work.bulk import DefaultsPlan

__all__ = [
    "ActivitiesDeletedOut",
    "ActivityIn",
    "ActivityOut",
    "AgentDeletedOut",
    "AgentIn",
    "AgentOut",
    "AgentPatch",
    "AvatarRemovedOut",
    "DefaultsSummaryOut",
    "EmotionsOut",
    "ErrorBody",
    "GenerateIn",
    "GenerationOut",
    "HealthOut",
    "IdentityOut",
    "ImportOut",
    "IsoDateTime",
    "JobOut",
    "PlanOut",
    "TokenCreatedOut",
    "TokenIn",
    "TokenOut",
    "TokenRevokedOut",
    "VersionOut",
    "activity_json",
    "agent_json",
    "defaults_summary_json",
    "emotions_json",
    "generation_json",
    "import_json",
    "job_errors_json",
    "job_json",
    "plan_json",
    "version_json",
]

_CAP = DISPLAY_NAME_MAX_CHARS  # names and enum-like fields: far above any valid value


def _text_time(value: Any) -> Any:
    """Refuse numbers: pydantic would read ``0.5`` as half a second after 1970, and the
    document promises an ISO 8601 date-time (the fuzzer found ``?before=0.5`` accepted)."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date-time such as 2026-01-01T10:00:00Z")
    return value


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
IsoDateTime = Annotated[datetime, BeforeValidator(_text_time)]
"""A date-time sent as ISO 8601 text (never a Unix timestamp)."""


class AgentIn(BaseModel):
    name: str = Field(max_length=_CAP)
    display_name: str = Field(default="", max_length=DISPLAY_NAME_MAX_CHARS)
    type: str = Field(default="other", max_length=_CAP)
    description: str = Field(default="", max_length=DESCRIPTION_MAX_CHARS)
    avatar_prompt: str | None = Field(default=None, max_length=4 * PROMPT_MAX_CHARS)
    is_system: bool = False


class AgentPatch(BaseModel):
    name: str | None = Field(default=None, max_length=_CAP)
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX_CHARS)
    type: str | None = Field(default=None, max_length=_CAP)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_CHARS)
    avatar_prompt: str | None = Field(default=None, max_length=4 * PROMPT_MAX_CHARS)
    is_system: bool | None = None


class ActivityIn(BaseModel):
    started_at: IsoDateTime
    ended_at: IsoDateTime | None = None
    kind: str = Field(max_length=_CAP)
    status: str = Field(max_length=_CAP)
    summary: str = Field(default="", max_length=SUMMARY_MAX_CHARS)


class GenerateIn(BaseModel):
    identity_prompt: str = Field(max_length=10 * PROMPT_MAX_CHARS)


class TokenIn(BaseModel):
    name: str = Field(max_length=TOKEN_NAME_MAX_CHARS)
    role: Literal["editor"] = "editor"


# --- response shapes ----------------------------------------------------------------------

# Times are sent as Python's isoformat() (``2026-01-01T10:00:00+00:00``): declared as strings
# in date-time format, so the models check the shape without re-rendering the value.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ValidationProblem(_Out):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(_Out):
    """Every error answer: what went wrong; for a failed generation also why and what to do."""

    detail: str
    reason: FailureReason | None = Field(
        default=None, description="Only for failed generations: one of the seven reasons")
    hint: str | None = Field(default=None, description="What to do about `reason`")
    errors: list[ValidationProblem] | None = Field(
        default=None, description="422 for a malformed request only: each field's problem")


class HealthOut(_Out):
    status: Literal["ok"]
    provider: str
    demo_mode: bool


class AgentOut(_Out):
    name: str
    display_name: str
    type: str
    description: str
    is_system: bool
    avatar_url: str | None = Field(description="Versioned (cacheable) URL; null without avatar")
    has_avatar: bool
    is_default_avatar: bool


class AgentDeletedOut(_Out):
    deleted: str


class ActivityOut(_Out):
    id: int
    agent_name: str
    started_at: Timestamp
    ended_at: Timestamp | None
    kind: str
    status: str
    summary: str


class ActivitiesDeletedOut(_Out):
    agent_name: str
    deleted: int


class RefusedRow(_Out):
    row: int
    name: str
    detail: str


class ImportOut(_Out):
    imported: list[str]
    refused: list[RefusedRow]


class GenerationOut(_Out):
    agent_name: str
    identity_prompt: str
    updated_at: Timestamp
    version: int
    avatar_url: str | None
    refined_prompt: str | None = Field(description="What the image model got; null if unrefined")
    refine_error: str | None = Field(description="Why refining failed, if it did")


class IdentityOut(_Out):
    agent_name: str
    identity_prompt: str | None
    updated_at: Timestamp | None
    has_avatar: bool
    has_reference: bool
    is_default: bool


class AvatarRemovedOut(_Out):
    agent_name: str
    removed: bool


class VersionOut(_Out):
    id: int
    created_at: Timestamp
    identity_prompt: str | None = Field(description="Null without an editor token")
    refined_prompt: str | None = Field(description="Null without an editor token")
    provider: str
    model: str
    is_default: bool
    current: bool
    image_url: str


class EmotionFailure(_Out):
    emotion: Emotion
    reason: str


class EmotionsOut(_Out):
    agent_name: str
    emotions: list[Emotion] = Field(description="Ready variants, in canonical order")
    version: str
    pending: list[Emotion]
    failed: list[EmotionFailure]
    urls: dict[str, str]
    unavailable: str | None = Field(description="Why this avatar has no variants, if none")


class JobErrorOut(_Out):
    agent: str
    error: str = Field(description="The same as `message` (the seed system's name)")
    reason: str
    message: str


class JobOut(_Out):
    id: int
    kind: JobKind
    status: JobStatus
    total: int
    done: int
    generated: int
    failed: int
    skipped: int
    errors: list[JobErrorOut]
    summary: str
    status_url: str
    mode: Literal["calls", "batch"]
    paused_reason: str | None
    resumes_at: Timestamp | None


class DefaultsSummaryOut(_Out):
    job_id: int
    generated: int
    failed: int
    skipped: int
    agents: list[str] = Field(description="Names of the agents that got a default")
    errors: list[JobErrorOut]
    message: str


class PlanOut(_Out):
    agents: list[str] = Field(description="Names of the agents that would get a default")
    images: int
    price_per_image_usd: float
    estimated_usd: float
    provider: str
    model: str
    price_known: bool


class TokenCreatedOut(_Out):
    id: int
    name: str
    role: Literal["editor"]
    token: str = Field(description="The secret: shown this once, never again")


class TokenOut(_Out):
    id: int
    name: str
    role: Literal["editor"]
    created_at: Timestamp
    revoked: bool


class TokenRevokedOut(_Out):
    id: int
    revoked: bool


# --- building the answers -----------------------------------------------------------------


def agent_json(agent: Agent) -> dict[str, Any]:
    return {
        "name": agent.name,
        "display_name": agent.display_name,
        "type": agent.type,
        "description": agent.description,
        "is_system": agent.is_system,
        "avatar_url": urls.avatar_url(agent),
        "has_avatar": agent.has_avatar,
        "is_default_avatar": agent.is_default_avatar,
    }


def plan_json(plan: DefaultsPlan) -> dict[str, Any]:
    """The dry run's answer: who would get a face, how many images, what it would cost."""
    return {"agents": plan.agents, "images": plan.images,
            "price_per_image_usd": plan.price_per_image_usd,
            "estimated_usd": plan.estimated_usd, "provider": plan.provider,
            "model": plan.model, "price_known": plan.price_known}


def import_json(result: ImportResult) -> dict[str, Any]:
    return {"imported": result.created,
            "refused": [{"row": e.row, "name": e.name, "detail": e.detail}
                        for e in result.errors]}


def activity_json(item: Activity) -> dict[str, Any]:
    return {"id": item.id, "agent_name": item.agent_name,
            "started_at": item.started_at.isoformat(),
            "ended_at": item.ended_at.isoformat() if item.ended_at else None,
            "kind": item.kind, "status": item.status, "summary": item.summary}


def generation_json(service: AvatarService, name: str, version: AvatarVersion) -> dict[str, Any]:
    """What generate, regenerate and restore answer (the agent as it is after the change)."""
    agent = service.get_agent(name)
    return {
        "agent_name": agent.name,
        "identity_prompt": version.identity_prompt,
        "updated_at": version.created_at.isoformat(),
        "version": version.id,
        "avatar_url": urls.avatar_url(agent),
        "refined_prompt": version.refined_prompt,
        "refine_error": version.refine_error,
    }


def version_json(agent_name: str, version: AvatarVersion, *, with_prompt: bool) -> dict[str, Any]:
    """A history entry; ``identity_prompt`` is null unless the caller may read prompts."""
    return {
        "id": version.id,
        "created_at": version.created_at.isoformat(),
        "identity_prompt": version.identity_prompt if with_prompt else None,
        "refined_prompt": version.refined_prompt if with_prompt else None,
        "provider": version.provider,
        "model": version.model,
        "is_default": version.is_default,
        "current": version.current,
        "image_url": urls.version_image_url(agent_name, version.id, version.display_blob),
    }


def emotions_json(found: EmotionSet) -> dict[str, Any]:
    return {
        "agent_name": found.agent_name,
        "emotions": [e.value for e in found.emotions],
        "version": found.version,
        "pending": [e.value for e in found.pending],
        "failed": found.failed,
        "urls": {e.value: urls.emotion_url(found, e) for e in found.emotions},
        "unavailable": found.unavailable,
    }


def job_errors_json(job: Job) -> list[dict[str, str]]:
    """Failed items; ``error`` repeats ``message`` for clients of the seed system's API."""
    return [{"agent": e.agent, "error": e.message, "reason": e.reason, "message": e.message}
            for e in job.errors]


def defaults_summary_json(job: Job, generated: list[str]) -> dict[str, Any]:
    """The seed system's generate-defaults answer: names that got a default, failures, counts."""
    return {
        "job_id": job.id,
        "generated": job.generated,
        "failed": job.failed,
        "skipped": job.skipped,
        "agents": generated,
        "errors": job_errors_json(job),
        "message": job.summary,
    }


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind.value,
        "status": job.status.value,
        "total": job.total,
        "done": job.done,
        "generated": job.generated,
        "failed": job.failed,
        "skipped": job.skipped,
        "errors": job_errors_json(job),
        "summary": job.summary,
        "status_url": urls.job_url(job.id),
        "mode": job.mode or "calls",
        "paused_reason": job.paused_reason,
        "resumes_at": job.resumes_at.isoformat() if job.resumes_at else None,
    }
