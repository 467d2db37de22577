"""The answers of the API: one pydantic model per shape (DESIGN.md's contract).

Each model is built from the core's objects by its ``of`` constructor; routes return the model
and ``response_model`` renders it, and ``error_statuses.errors`` gives every error status the
one ``ErrorBody``, so a client generated from the OpenAPI document parses every answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from avatar_core import (
    Activity,
    Agent,
    AvatarVersion,
    DefaultsPlan,
    Emotion,
    EmotionSet,
    FailureReason,
    ImportResult,
    Job,
    JobKind,
    JobMode,
    JobStatus,
    Spend,
    TokenInfo,
    urls,
)

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

    @classmethod
    def of(cls, agent: Agent) -> AgentOut:
        return cls(name=agent.name, display_name=agent.display_name, type=agent.type,
                   description=agent.description, is_system=agent.is_system,
                   avatar_url=urls.avatar_url(agent), has_avatar=agent.has_avatar,
                   is_default_avatar=agent.is_default_avatar)


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

    @classmethod
    def of(cls, item: Activity) -> ActivityOut:
        return cls(id=item.id, agent_name=item.agent_name,
                   started_at=item.started_at.isoformat(),
                   ended_at=item.ended_at.isoformat() if item.ended_at else None,
                   kind=item.kind, status=item.status, summary=item.summary)


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

    @classmethod
    def of(cls, result: ImportResult) -> ImportOut:
        return cls(imported=result.created,
                   refused=[RefusedRow(row=e.row, name=e.name, detail=e.detail)
                            for e in result.errors],
                   emotions_queued=result.emotions_queued, estimated_usd=result.estimated_usd)


class GenerationOut(_Out):
    agent_name: str
    identity_prompt: str
    updated_at: Timestamp
    version: int
    avatar_url: str | None
    refined_prompt: str | None = Field(description="What the image model got; null if unrefined")
    refine_error: str | None = Field(description="Why refining failed, if it did")

    @classmethod
    def of(cls, agent: Agent, version: AvatarVersion) -> GenerationOut:
        """What generate, regenerate and restore answer: the agent as it is after the change."""
        return cls(agent_name=agent.name, identity_prompt=version.identity_prompt,
                   updated_at=version.created_at.isoformat(), version=version.id,
                   avatar_url=urls.avatar_url(agent), refined_prompt=version.refined_prompt,
                   refine_error=version.refine_error)


class IdentityOut(_Out):
    agent_name: str
    identity_prompt: str | None
    updated_at: Timestamp | None
    has_avatar: bool
    has_reference: bool
    is_default: bool

    @classmethod
    def of(cls, agent: Agent, version: AvatarVersion | None) -> IdentityOut:
        """``has_reference``: the full-quality reference image (``/avatar/reference``) exists."""
        return cls(agent_name=agent.name,
                   identity_prompt=version.identity_prompt if version else None,
                   updated_at=version.created_at.isoformat() if version else None,
                   has_avatar=version is not None,
                   has_reference=bool(version and version.reference_blob),
                   is_default=bool(version and version.is_default))


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

    @classmethod
    def of(cls, agent_name: str, version: AvatarVersion, *, with_prompt: bool) -> VersionOut:
        """A history entry; the prompts are null unless the caller may read them."""
        return cls(id=version.id, created_at=version.created_at.isoformat(),
                   identity_prompt=version.identity_prompt if with_prompt else None,
                   refined_prompt=version.refined_prompt if with_prompt else None,
                   provider=version.provider, model=version.model,
                   is_default=version.is_default, current=version.current,
                   image_url=urls.version_image_url(agent_name, version.id,
                                                    version.display_blob))


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

    @classmethod
    def of(cls, found: EmotionSet) -> EmotionsOut:
        return cls(agent_name=found.agent_name, emotions=list(found.emotions),
                   version=found.version, pending=list(found.pending),
                   failed=[EmotionFailure.model_validate(f) for f in found.failed],
                   urls={e.value: urls.emotion_url(found, e) for e in found.emotions},
                   unavailable=found.unavailable)


class JobErrorOut(_Out):
    agent: str
    error: str = Field(description="The same as `message` (the seed system's name)")
    reason: str
    message: str

    @classmethod
    def all_of(cls, job: Job) -> list[JobErrorOut]:
        """Failed items; ``error`` repeats ``message`` for clients of the seed system's API."""
        return [cls(agent=e.agent, error=e.message, reason=e.reason, message=e.message)
                for e in job.errors]


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
    mode: JobMode
    paused_reason: str | None
    resumes_at: Timestamp | None
    agents: list[str] = Field(description="Names of the agents that got a default so far (the "
                                          "same as the `?wait=true` summary once finished)")

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(id=job.id, kind=job.kind, status=job.status, total=job.total, done=job.done,
                   generated=job.generated, failed=job.failed, skipped=job.skipped,
                   errors=JobErrorOut.all_of(job), summary=job.summary,
                   status_url=urls.job_url(job.id),
                   mode=job.mode,
                   paused_reason=job.paused_reason,
                   resumes_at=job.resumes_at.isoformat() if job.resumes_at else None,
                   agents=list(job.agents))


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

    @classmethod
    def of(cls, job: Job, generated: list[str]) -> DefaultsSummaryOut:
        """The seed system's generate-defaults answer: who got a default, failures, counts."""
        return cls(job_id=job.id, generated=job.generated, failed=job.failed,
                   skipped=job.skipped, agents=generated, errors=JobErrorOut.all_of(job),
                   message=job.summary)


class PlanOut(_Out):
    agents: list[str] = Field(description="Names of the agents that would get a default")
    images: int
    price_per_image_usd: float
    estimated_usd: float
    provider: str
    model: str
    price_known: bool

    @classmethod
    def of(cls, plan: DefaultsPlan) -> PlanOut:
        """The dry run's answer: who would get a face, how many images, what it would cost."""
        return cls(agents=plan.agents, images=plan.images,
                   price_per_image_usd=plan.price_per_image_usd,
                   estimated_usd=plan.estimated_usd, provider=plan.provider, model=plan.model,
                   price_known=plan.price_known)


class TokenCreatedOut(_Out):
    id: int
    name: str
    role: Literal["editor"]
    token: str = Field(description="The secret: shown this once, never again")

    @classmethod
    def of(cls, info: TokenInfo, secret: str) -> TokenCreatedOut:
        return cls.model_validate({"id": info.id, "name": info.name, "role": info.role,
                                   "token": secret})


class TokenOut(_Out):
    id: int
    name: str
    role: Literal["editor"]
    created_at: Timestamp
    revoked: bool

    @classmethod
    def of(cls, info: TokenInfo) -> TokenOut:
        return cls.model_validate({"id": info.id, "name": info.name, "role": info.role,
                                   "created_at": info.created_at.isoformat(),
                                   "revoked": info.revoked})


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

    @classmethod
    def of(cls, spend: Spend) -> SpendOut:
        """The figures of Settings → Default avatars (``budget_source`` checked on the way)."""
        return cls.model_validate({
            "today_usd": round(spend.spent_today, 6), "today_by_kind": spend.today,
            "last_30_days_by_kind": spend.last_30_days,
            "days": [SpendDayOut(day=day.isoformat(), by_kind=by_kind,
                                 total_usd=round(sum(by_kind.values()), 6))
                     for day, by_kind in spend.days],
            "daily_budget_usd": spend.limit, "budget_source": spend.source,
            "environment_budget_usd": spend.environment_limit,
            "remaining_usd": spend.remaining, "resets_at": spend.resets_at.isoformat()})
