"""Request models and response shapes of the API, in one place.

Request models bound every string generously (a cap against abuse); the product's own checks
then answer the precise 400 with the real limit. Shapes follow DESIGN.md's API contract: the
``*_json`` functions build each answer, and the ``*Out`` models of ``responses`` declare the
same shapes in the OpenAPI document.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from avatar_core.domain import urls
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
    EmotionSet,
    Job,
)
from avatar_core.service import AvatarService
from avatar_core.work.agent_import import ImportResult
from avatar_core.work.bulk import DefaultsPlan

__all__ = [
    "ActivityIn",
    "AgentIn",
    "AgentPatch",
    "GenerateIn",
    "IsoDateTime",
    "TokenIn",
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
                        for e in result.errors],
            "emotions_queued": result.emotions_queued, "estimated_usd": result.estimated_usd}


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
        "agents": list(job.agents),
    }
