"""Claims on background items: one worker owns a pending row until its lease runs out.

Any process may run any item. A worker claims pending rows by writing its ``owner`` and a
``lease_until`` into them and keeps the lease alive with heartbeats while it works; when a process
dies its leases lapse and another takes the rows over. On PostgreSQL the claim reads with
``FOR UPDATE SKIP LOCKED`` so concurrent claimers never wait on each other; on SQLite (one node)
the database-wide write lock serialises claims, and the guarded ``UPDATE`` makes a row go to
exactly one claimer either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..foundation.clock import utcnow
from .database import is_sqlite
from .schema import LEASED_TABLES

__all__ = ["PARKED", "Lease", "LeaseLost", "claim", "clear_leases", "extend_leases", "holds",
           "next_lapse", "park", "parked", "release", "unclaimed", "unpark"]

PARKED = "(waiting for the budget)"
"""The owner of a row put aside until the budget has room (or its lease lapses at midnight)."""


def unclaimed(table: sa.Table) -> sa.ColumnElement[bool]:
    """Rows nobody holds a live lease on."""
    return sa.or_(table.c.lease_until.is_(None), table.c.lease_until < utcnow())


def claim(engine: Engine, table: sa.Table, *, where: sa.ColumnElement[bool],
          order_by: Sequence[sa.ColumnElement[Any]], owner: str, lease_s: float,
          limit: int) -> list[sa.Row[Any]]:
    """Claim up to ``limit`` rows matching ``where`` for ``owner``; returns the rows claimed."""
    if limit <= 0:
        return []
    until = utcnow() + timedelta(seconds=lease_s)
    with engine.begin() as conn:
        query = sa.select(table).where(where, unclaimed(table)).order_by(*order_by).limit(limit)
        if not is_sqlite(engine):
            query = query.with_for_update(skip_locked=True)
        claimed = []
        for row in conn.execute(query).all():
            taken = conn.execute(table.update().where(_key_of(table, row), unclaimed(table))
                                 .values(owner=owner, lease_until=until))
            if taken.rowcount == 1:
                claimed.append(row)
    return claimed


def extend_leases(engine: Engine, table: sa.Table, keys: Sequence[dict[str, Any]], owner: str,
                  lease_s: float) -> int:
    """Heartbeat: push the leases ``owner`` holds on these rows forward; returns how many."""
    if not keys:
        return 0
    until = utcnow() + timedelta(seconds=lease_s)
    extended = 0
    with engine.begin() as conn:
        for key in keys:
            result = conn.execute(table.update().where(
                *(table.c[name] == value for name, value in key.items()),
                table.c.owner == owner).values(lease_until=until))
            extended += result.rowcount
    return extended


def release(engine: Engine, table: sa.Table, key: dict[str, Any], owner: str) -> None:
    """Give a claimed row back untouched (still pending), for anyone to claim again."""
    with engine.begin() as conn:
        conn.execute(table.update().where(
            *(table.c[name] == value for name, value in key.items()), table.c.owner == owner)
            .values(owner=None, lease_until=None))


class LeaseLost(Exception):
    """The row's lease lapsed and another worker holds it now: our result is not committed."""


@dataclass(frozen=True)
class Lease:
    """A worker's claim on one row, checked in the transaction that commits its result."""

    table: sa.Table
    key: dict[str, Any]
    owner: str

    def check(self, conn: Connection) -> None:
        """``LeaseLost`` unless the row is still ours."""
        if not holds(conn, self.table, self.key, self.owner):
            raise LeaseLost(f"lost the lease on {self.table.name} {self.key}")


def holds(conn: Connection, table: sa.Table, key: dict[str, Any], owner: str) -> bool:
    """True when ``owner`` still holds the row: checked in the transaction that commits its
    result, so a worker whose lease lapsed and was taken over never commits it twice."""
    query = sa.select(table.c.owner).where(
        *(table.c[name] == value for name, value in key.items()), table.c.owner == owner)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()  # a claimer waits until this transaction is over
    return conn.execute(query).first() is not None


def park(engine: Engine, table: sa.Table, key: dict[str, Any], owner: str,
         until: datetime) -> None:
    """Put a claimed row aside until ``until`` (no worker claims it meanwhile): the budget
    cannot pay for it now. ``unpark`` gives it back early when the budget has room again."""
    with engine.begin() as conn:
        conn.execute(table.update().where(
            *(table.c[name] == value for name, value in key.items()), table.c.owner == owner)
            .values(owner=PARKED, lease_until=until))


def parked(engine: Engine) -> bool:
    """Whether any row waits for the budget."""
    with engine.connect() as conn:
        return any(conn.scalar(sa.select(sa.func.count()).select_from(table)
                               .where(table.c.owner == PARKED)) for table in LEASED_TABLES)


def unpark(engine: Engine) -> int:
    """Every row waiting for the budget back to the queue; returns how many."""
    count = 0
    with engine.begin() as conn:
        for table in LEASED_TABLES:
            count += conn.execute(table.update().where(table.c.owner == PARKED)
                                  .values(owner=None, lease_until=None)).rowcount
    return count


def next_lapse(engine: Engine) -> datetime | None:
    """The soonest future moment a lease (or a parked row's wait) runs out, or None."""
    now = utcnow()
    with engine.connect() as conn:
        found = [conn.scalar(sa.select(sa.func.min(table.c.lease_until))
                             .where(table.c.lease_until > now)) for table in LEASED_TABLES]
    return min((f for f in found if f is not None), default=None)


def clear_leases(conn: Connection) -> None:
    """Forget every claim (start-up of a single node: nobody else can be holding one)."""
    for table in LEASED_TABLES:
        conn.execute(table.update().where(table.c.owner.is_not(None))
                     .values(owner=None, lease_until=None))


def _key_of(table: sa.Table, row: sa.Row[Any]) -> sa.ColumnElement[bool]:
    return sa.and_(*(column == getattr(row, column.name) for column in table.primary_key))
