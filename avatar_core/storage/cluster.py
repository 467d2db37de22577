"""What several replicas share through the database: locks, the replica registry, cache epochs.

One machine (SQLite) is the default and needs none of it: there, locks are the process's own and
the cache epoch never has to travel. On PostgreSQL:

- ``ClusterLock`` is a session-level advisory lock, so two replicas never run the same critical
  section (migrations, one agent's generation, starting a bulk job) at once. It is held on a
  connection of its own, outside the pool: a lock is held across a provider call (a minute,
  perhaps), and pooled connections held that long would starve heartbeats and claims;
- ``Replicas`` registers each process and its heartbeat, and carries the *cache epoch*: a counter
  bumped whenever which image is current changes. Every replica polls it and drops its hot
  images when it moves; the writer waits until every live replica has seen the new epoch, so
  once a change has been answered, no replica serves the old image any more.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from ..foundation.clock import utcnow
from .database import is_sqlite
from .schema import cache_epoch, replicas

__all__ = ["ClusterLock", "LockSpace", "Replicas", "insert_ignoring_duplicates",
           "process_owner"]

ALIVE_S = 5.0
"""A replica whose heartbeat is older than this is taken for dead (it is not waited for)."""


def process_owner() -> str:
    """Who this process is in leases and the registry: host, pid and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


class LockSpace:
    """Namespaces of advisory locks (the first of PostgreSQL's two lock keys)."""

    AGENT = 0x4141_0001
    MIGRATE = 0x4141_0002
    BULK_START = 0x4141_0003


class ClusterLock:
    """Mutual exclusion across replicas (PostgreSQL) and across this process's threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # One connection per held lock, opened for it and closed after (never the pool's).
        self._dedicated = None if is_sqlite(engine) else sa.create_engine(
            engine.url, poolclass=NullPool, hide_parameters=True)
        self._guard = threading.Lock()
        self._local: dict[tuple[int, int], threading.Lock] = {}

    @contextmanager
    def hold(self, space: int, key: int = 0) -> Iterator[None]:
        with self._guard:
            local = self._local.setdefault((space, key), threading.Lock())
        with local:  # threads of this process queue here, without a connection each
            if self._dedicated is None:
                yield
                return
            with self._dedicated.connect() as conn:
                conn.execute(sa.select(sa.func.pg_advisory_lock(space, key)))
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(sa.select(sa.func.pg_advisory_unlock(space, key)))
                    conn.commit()

    def close(self) -> None:
        if self._dedicated is not None:
            self._dedicated.dispose()


def insert_ignoring_duplicates(conn: Connection, table: sa.Table,
                               rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows, skipping any whose primary key another writer inserted first."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), list(rows))


class Replicas:
    """This process in the replica registry, and the cache epoch it has seen."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner
        self.seen = 0

    def epoch(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(sa.select(cache_epoch.c.value)
                                   .where(cache_epoch.c.id == 1)) or 0)

    def bump(self) -> int:
        """Move the cache epoch on; returns the new value."""
        with self.engine.begin() as conn:
            insert_ignoring_duplicates(conn, cache_epoch, [{"id": 1, "value": 0}])
            conn.execute(cache_epoch.update().where(cache_epoch.c.id == 1)
                         .values(value=cache_epoch.c.value + 1))
            return int(conn.scalar(sa.select(cache_epoch.c.value)
                                   .where(cache_epoch.c.id == 1)) or 0)

    def beat(self, seen: int) -> None:
        """Say this replica is alive and has dropped every hot image older than ``seen``."""
        self.seen = seen
        now = utcnow()
        with self.engine.begin() as conn:
            updated = conn.execute(replicas.update().where(replicas.c.owner == self.owner)
                                   .values(seen_epoch=seen, heartbeat_at=now)).rowcount
            if not updated:
                insert_ignoring_duplicates(conn, replicas, [
                    {"owner": self.owner, "seen_epoch": seen, "heartbeat_at": now}])
            conn.execute(replicas.delete().where(  # long dead: forget them
                replicas.c.heartbeat_at < now - timedelta(seconds=60 * ALIVE_S)))

    def leave(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(replicas.delete().where(replicas.c.owner == self.owner))

    def wait_all_seen(self, epoch: int, timeout_s: float) -> bool:
        """Wait until every other live replica has seen ``epoch``; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            cutoff = utcnow() - timedelta(seconds=ALIVE_S)
            with self.engine.connect() as conn:
                behind = conn.scalar(sa.select(sa.func.count()).select_from(replicas).where(
                    replicas.c.owner != self.owner, replicas.c.heartbeat_at >= cutoff,
                    replicas.c.seen_epoch < epoch))
            if not behind:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
