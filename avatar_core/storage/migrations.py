"""Numbered schema migrations, applied in order, each in its own transaction.

Migration 1 creates whatever tables are missing from the latest schema; later migrations add what
an older database lacks (and do nothing on a fresh one, whose tables migration 1 made complete).
Each applied version is recorded in ``schema_migrations``. Append only: never edit a shipped step.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..foundation.clock import utcnow
from .schema import (
    auth_failures,
    avatar_versions,
    cache_epoch,
    emotion_variants,
    job_items,
    jobs,
    limiter_state,
    metadata,
    provider_calls,
    provider_slots,
    renditions,
    replicas,
    schema_migrations,
)

__all__ = ["MIGRATIONS", "migrate"]

Step = Callable[[Connection], None]


def _initial_schema(conn: Connection) -> None:
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables
                                      if t is not schema_migrations])


def _add_missing_columns(table: sa.Table, *names: str) -> Step:
    """ALTER TABLE … ADD COLUMN for each of ``names`` the table does not have yet."""
    def step(conn: Connection) -> None:
        present = {column["name"] for column in sa.inspect(conn).get_columns(table.name)}
        for name in names:
            if name in present:
                continue
            column = table.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{name}" {kind}'))

    return step


def _leases(conn: Connection) -> None:
    for table in (emotion_variants, job_items):  # jobs got theirs in 4, renditions in 9
        _add_missing_columns(table, "owner", "lease_until")(conn)


def _batches_and_spend(conn: Connection) -> None:
    _add_missing_columns(jobs, "mode", "batch_name", "poll_after", "owner", "lease_until")(conn)
    _add_missing_columns(job_items, "via_batch")(conn)
    provider_calls.create(conn, checkfirst=True)


def _replicas(conn: Connection) -> None:
    for table in (replicas, cache_epoch, provider_slots, limiter_state):
        table.create(conn, checkfirst=True)


MIGRATIONS: tuple[tuple[int, str, Step], ...] = (
    (1, "initial schema", _initial_schema),
    (2, "leases on background items", _leases),
    (3, "refined prompts", _add_missing_columns(avatar_versions, "refined_prompt")),
    (4, "batch jobs and provider spend", _batches_and_spend),
    (5, "several replicas", _replicas),
    (8, "failed token checks per client", lambda conn: auth_failures.create(conn,
                                                                           checkfirst=True)),
    (9, "image renditions", lambda conn: renditions.create(conn, checkfirst=True)),
)


def migrate(engine: Engine) -> int:
    """Apply pending migrations in order; returns the schema version now in place."""
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
