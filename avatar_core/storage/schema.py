"""SQLAlchemy Core tables, versioned migrations and the engine (SQLite file or PostgreSQL URL).

Every table lives here so the schema can be read in one place. Migrations are numbered and
applied in order inside one transaction each, recorded in ``schema_migrations``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "activities",
    "agents",
    "avatar_versions",
    "create_engine",
    "emotion_variants",
    "job_items",
    "jobs",
    "metadata",
    "migrate",
    "settings_kv",
    "tokens",
    "utcnow",
]

metadata = sa.MetaData()


def utcnow() -> datetime:
    return datetime.now(UTC)


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
    sa.Column("name", sa.String(63), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
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
)

job_items = sa.Table(
    "job_items",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("agent_id", sa.Integer, primary_key=True),
    sa.Column("agent_name", sa.String(63), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending | done | failed | skipped
    sa.Column("reason", sa.String(30), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
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


def _initial_schema(conn: Connection) -> None:
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables
                                      if t is not schema_migrations])


# Append only: (version, description, step). Never edit a shipped step.
MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "initial schema", _initial_schema),
)


def migrate(engine: Engine) -> int:
    """Apply pending migrations in order, each in its own transaction; returns the version."""
    schema_migrations.create(engine, checkfirst=True)
    with engine.begin() as conn:
        done = set(conn.scalars(sa.select(schema_migrations.c.version)))
    for version, description, step in MIGRATIONS:
        if version in done:
            continue
        with engine.begin() as conn:
            step(conn)
            conn.execute(schema_migrations.insert().values(
                version=version, description=description, applied_at=utcnow()))
    return MIGRATIONS[-1][0]


def create_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)
