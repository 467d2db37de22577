"""Failed token checks per client address: a burst of them shuts that address out for a while.

One rule for the API's bearer tokens and the UI's admin unlock alike: ``limit`` failures within
``window`` from one address, and every token-bearing request from it is refused (429 with
``Retry-After``) until ``window`` has passed since the burst — *without* looking at the token,
so that the refusal says nothing about whether a guess was right. The counts live in the
database, so every replica sharing it enforces the same limit. A failure is logged with the
address and never the token.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ..foundation.clock import utcnow
from ..foundation.errors import TooManyAttempts
from ..storage.schema import auth_failures

__all__ = ["FAILURE_LIMIT", "FAILURE_WINDOW", "AuthFailures"]

log = logging.getLogger("avatar_core.auth")

FAILURE_LIMIT = 10
"""Failed token checks one address may make within ``FAILURE_WINDOW``."""
FAILURE_WINDOW = timedelta(minutes=1)
_CLIENT_CHARS = 64


class AuthFailures:
    """Counts failed token checks by client address and answers whether one is shut out.

    ``window`` and ``clock`` are constructor arguments so that tests can shorten the wait;
    production uses the defaults.
    """

    def __init__(self, engine: Engine, *, limit: int = FAILURE_LIMIT,
                 window: timedelta = FAILURE_WINDOW,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.limit = limit
        self.window = window
        self.clock = clock

    def check(self, client: str) -> None:
        """Raise ``TooManyAttempts`` while ``client`` is shut out; the token is not looked at."""
        with self.engine.connect() as conn:
            until = conn.scalar(sa.select(auth_failures.c.blocked_until)
                                .where(auth_failures.c.client == _key(client)))
        self._refuse_until(until)

    def record(self, client: str, what: str) -> None:
        """Count one failed check of ``what`` (e.g. "API token") from ``client``; raise
        ``TooManyAttempts`` when it completes a burst."""
        now = self.clock()
        with self.engine.begin() as conn:
            failures = self._count(conn, _key(client), now)
            until = None
            if failures >= self.limit:
                until = now + self.window
                conn.execute(auth_failures.update()
                             .where(auth_failures.c.client == _key(client))
                             .values(blocked_until=until))
            conn.execute(auth_failures.delete().where(  # addresses long gone
                auth_failures.c.window_start < now - 2 * self.window,
                sa.or_(auth_failures.c.blocked_until.is_(None),
                       auth_failures.c.blocked_until < now)))
        log.warning("Failed %s check from %s (%d in the window)", what, _key(client), failures)
        self._refuse_until(until)

    def _count(self, conn: Connection, client: str, now: datetime) -> int:
        """This failure counted into the address's current window (a new one once it lapsed)."""
        row = auth_failures.c
        counted = conn.execute(auth_failures.update()
                               .where(row.client == client, row.window_start > now - self.window)
                               .values(failures=row.failures + 1)).rowcount
        if not counted:
            restarted = conn.execute(auth_failures.update().where(row.client == client)
                                     .values(window_start=now, failures=1,
                                             blocked_until=None)).rowcount
            if not restarted:
                try:
                    with conn.begin_nested():
                        conn.execute(auth_failures.insert().values(
                            client=client, window_start=now, failures=1))
                except IntegrityError:  # another replica counted this address first
                    conn.execute(auth_failures.update().where(row.client == client)
                                 .values(failures=row.failures + 1))
        return int(conn.scalar(sa.select(row.failures).where(row.client == client)) or 0)

    def _refuse_until(self, until: datetime | None) -> None:
        left = (until - self.clock()).total_seconds() if until is not None else 0.0
        if left > 0:
            seconds = max(1, math.ceil(left))
            raise TooManyAttempts(f"Too many failed token checks from this address: try "
                                  f"again in {seconds} s", seconds)


def _key(client: str) -> str:
    return (client or "unknown")[:_CLIENT_CHARS]
