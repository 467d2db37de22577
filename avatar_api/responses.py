"""The answers of the API as pydantic models, declared in the OpenAPI document.

Routes name them as ``response_model`` and ``answers.errors`` gives every error status the one
``ErrorBody``, so a client generated from the document parses every answer. The models forbid
extra keys: a field added to a ``schemas.*_json`` function and not to its model fails loudly in
the tests instead of vanishing from the document.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from avatar_core.foundation.errors import FailureReason
from avatar_core.foundation.models import Emotion, JobKind, JobStatus

__all__ = [
    "ActivitiesDeletedOut",
    "ActivityOut",
    "AgentDeletedOut",
    "AgentOut",
    "AvatarRemovedOut",
    "DefaultsSummaryOut",
    "EmotionFailure",
    "EmotionsOut",
    "ErrorBody",
    "GenerationOut",
    "HealthOut",
    "IdentityOut",
    "ImportOut",
    "JobErrorOut",
    "JobOut",
    "JobPageOut",
    "PlanOut",
    "RefusedRow",
    "SpendDayOut",
    "SpendOut",
    "TokenCreatedOut",
    "TokenOut",
    "TokenRevokedOut",
    "ValidationProblem",
    "VersionOut",
]

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
    model: str | None = None  # the Gemini image model in use; None without Gemini / not yet
    model_reason: str | None = None  # why: "set by AVATARS_GEMINI_MODEL", "auto: first of …"
    saved_key_problem: str | None = Field(
        None, description="Why this replica cannot open the key saved in Settings (e.g. "
        "another AVATARS_SECRET_KEY); null when it can or none is saved. Never the key")


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
    emotions_queued: int = Field(description="Paid emotion calls the installed pictures queued "
                                             "(eight per picture with Gemini, none without)")
    estimated_usd: float = Field(description="Their price at the current model's list price")


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
    agents: list[str] = Field(description="Names of the agents that got a default so far (the "
                                          "same as the `?wait=true` summary once finished)")


class JobPageOut(_Out):
    """One page of jobs, newest first; the next page starts at ``offset + limit``."""

    jobs: list[JobOut]
    total: int = Field(description="How many jobs match the filters")
    limit: int
    offset: int


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


class SpendDayOut(_Out):
    day: str = Field(description="The UTC date, YYYY-MM-DD", json_schema_extra={"format": "date"})
    by_kind: dict[str, float] = Field(description="USD per kind of call "
                                                  "(avatar, emotion, default, refine)")
    total_usd: float


class SpendOut(_Out):
    """Provider spend and the daily budget: the same figures as Settings → Default avatars."""

    today_usd: float
    today_by_kind: dict[str, float]
    last_30_days_by_kind: dict[str, float]
    days: list[SpendDayOut] = Field(description="The last 30 UTC days, oldest first")
    daily_budget_usd: float | None = Field(description="The budget in force; null for none")
    budget_source: Literal["settings", "environment", "none"] = Field(
        description="settings: saved in Settings or with PUT /api/budget (overrides the "
                    "environment); environment: AVATARS_DAILY_BUDGET_USD")
    environment_budget_usd: float | None
    remaining_usd: float | None = Field(description="What may still be spent today; null "
                                                    "without a budget")
    resets_at: Timestamp = Field(description="The next UTC midnight")
