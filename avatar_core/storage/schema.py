"""Every table of the product, in one place so the schema reads at a glance (SQLAlchemy Core).

This is the latest schema; ``migrations`` brings an older database up to it. Domain parts own
the queries on their tables; nothing outside ``avatar_core`` touches a table directly.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from ..foundation.limits import (
    DISPLAY_NAME_MAX_CHARS,
    ENUM_TEXT_MAX_CHARS,
    NAME_MAX_CHARS,
    TOKEN_NAME_MAX_CHARS,
)

__all__ = [
    "BLOB_COLUMNS",
    "LEASED_TABLES",
    "UTCDateTime",
    "activities",
    "agents",
    "auth_failures",
    "avatar_versions",
    "cache_epoch",
    "emotion_variants",
    "job_items",
    "jobs",
    "limiter_state",
    "metadata",
    "provider_calls",
    "provider_slots",
    "renditions",
    "replicas",
    "schema_migrations",
    "settings_kv",
    "tokens",
]

metadata = sa.MetaData()


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored naive-UTC, returned timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(NAME_MAX_CHARS), nullable=False, unique=True),
    sa.Column("display_name", sa.String(DISPLAY_NAME_MAX_CHARS), nullable=False),
    sa.Column("type", sa.String(ENUM_TEXT_MAX_CHARS), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("avatar_prompt", sa.Text, nullable=True),
    sa.Column("is_system", sa.Boolean, nullable=False, default=False),
    # No FK to avatar_versions: the two tables point at each other; the service keeps them true.
    sa.Column("current_version_id", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

avatar_versions = sa.Table(
    "avatar_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("identity_prompt", sa.Text, nullable=False),
    sa.Column("provider", sa.String(40), nullable=False),
    sa.Column("model", sa.String(120), nullable=False),
    sa.Column("display_blob", sa.String(80), nullable=False),
    sa.Column("reference_blob", sa.String(80), nullable=False),
    sa.Column("style_blob", sa.String(80), nullable=True),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Column("default_fingerprint", sa.String(64), nullable=True),
    sa.Column("template_version", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # What the text model made of identity_prompt; None when nothing was refined (migration 3).
    sa.Column("refined_prompt", sa.Text, nullable=True),
)

emotion_variants = sa.Table(
    "emotion_variants",
    metadata,
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("base_blob", sa.String(80), nullable=False),
    sa.Column("emotion", sa.String(20), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending | done | failed
    sa.Column("display_blob", sa.String(80), nullable=True),
    sa.Column("reference_blob", sa.String(80), nullable=True),
    sa.Column("reason", sa.String(30), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Which process works on a pending variant, and until when its claim holds (migration 2).
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("summary", sa.Text, nullable=False, default=""),
    sa.Index("ix_activities_agent_started", "agent_id", "started_at"),
    sa.Index("ix_activities_started", "started_at"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # queued | running | done | failed
    sa.Column("summary", sa.Text, nullable=False, default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    # Batch mode (migration 4): the provider's batch, polled by whoever holds the job's lease.
    sa.Column("mode", sa.String(10), nullable=True),  # None = calls one by one | "batch"
    sa.Column("batch_name", sa.String(200), nullable=True),
    sa.Column("poll_after", UTCDateTime, nullable=True),
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
)

job_items = sa.Table(
    "job_items",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("agent_id", sa.Integer, primary_key=True),
    sa.Column("agent_name", sa.String(NAME_MAX_CHARS), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending | done | failed | skipped
    sa.Column("reason", sa.String(30), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    # Left to the job's batch (migration 4); False after the batch failed it: one call then.
    sa.Column("via_batch", sa.Boolean, nullable=True),
)

provider_calls = sa.Table(
    "provider_calls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("kind", sa.String(10), nullable=False),  # avatar | emotion | default | refine
    sa.Column("provider", sa.String(40), nullable=False),
    sa.Column("model", sa.String(120), nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    # A call in flight holds its cost (reserved) so parallel calls cannot overshoot the budget.
    sa.Column("settled", sa.Boolean, nullable=False, default=False),
)

replicas = sa.Table(
    "replicas",
    metadata,
    # One row per running process of the app (migration 5): who is alive, what it has seen.
    sa.Column("owner", sa.String(64), primary_key=True),
    sa.Column("seen_epoch", sa.BigInteger, nullable=False),
    sa.Column("heartbeat_at", UTCDateTime, nullable=False),
)

cache_epoch = sa.Table(
    "cache_epoch",
    metadata,
    # Bumped on every change to which image is current; replicas drop their hot images on it.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

provider_slots = sa.Table(
    "provider_slots",
    metadata,
    # AVATARS_CONCURRENCY rows: a provider call holds one, so the cluster stays within it.
    sa.Column("slot", sa.Integer, primary_key=True),
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
)

limiter_state = sa.Table(
    "limiter_state",
    metadata,
    # The cluster's AIMD state: how many slots may be used now, and a pause after a 429.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("maximum", sa.Integer, nullable=False),
    sa.Column("current", sa.Integer, nullable=False),
    sa.Column("successes", sa.Integer, nullable=False),
    sa.Column("paused_until", UTCDateTime, nullable=True),
    sa.Column("rate_limited", sa.Integer, nullable=False, default=0),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(TOKEN_NAME_MAX_CHARS), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)

settings_kv = sa.Table(
    "settings",
    metadata,
    sa.Column("name", sa.String(60), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

auth_failures = sa.Table(
    "auth_failures",
    metadata,
    # Failed token checks per client address (API bearer tokens and the UI's admin unlock),
    # shared by every replica: failures in the window that began at window_start, and the
    # time until which every token-bearing request from that address is refused.
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("window_start", UTCDateTime, nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("blocked_until", UTCDateTime, nullable=True),
)

renditions = sa.Table(
    "renditions",
    metadata,
    # An image at one rung of the size ladder in one format (migration 9): made once, kept
    # while its source blob is in use. Pending rows are background items, claimed with leases.
    sa.Column("source_blob", sa.String(80), primary_key=True),
    sa.Column("side", sa.Integer, primary_key=True),
    sa.Column("format", sa.String(8), primary_key=True),
    sa.Column("status", sa.String(10), nullable=False),  # pending | done | failed
    sa.Column("blob", sa.String(80), nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
)


BLOB_COLUMNS: tuple[sa.Column[str], ...] = (
    avatar_versions.c.display_blob, avatar_versions.c.reference_blob, avatar_versions.c.style_blob,
    emotion_variants.c.display_blob, emotion_variants.c.reference_blob,
)
"""Every column that names an image blob; a blob is in use while any of them names it.
(A rendition's blob is in use while its source is: ``storage.images``.)"""

LEASED_TABLES: tuple[sa.Table, ...] = (emotion_variants, job_items, jobs, renditions)
"""Tables whose pending rows background workers claim (``owner``, ``lease_until``)."""
