"""A daily budget for provider calls: every call reserves its cost first, and none may pass it.

A call reserves its price before it goes out (``reserve``, or ``spending`` around one call) and
settles it when the provider answered; a call that failed costs nothing and releases it, except
one that timed out: Google may have drawn and billed it, so it counts as spent. Parallel calls —
on this replica or others — can never spend more than the budget between them. When the next call
would pass the day's budget, interactive generation answers ``rate_limited`` (naming the budget
and who can raise it) and background work pauses; it resumes by itself at the next UTC midnight
or as soon as the budget is raised.

The budget is ``AVATARS_DAILY_BUDGET_USD`` unless one is saved in Settings (or with
``PUT /api/budget``); clearing the saved one (None) goes back to the environment's. $0 is a
budget too: nothing paid goes out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.clock import utcnow
from ..foundation.config import Settings
from ..foundation.errors import FailureReason, GenerationError, InvalidInput, to_generation_error
from ..foundation.pricing import CallKind
from ..storage.database import inserted_id, is_sqlite
from ..storage.saved_settings import SavedSettings
from ..storage.schema import provider_calls

__all__ = ["Budget", "BudgetSpent", "Pause", "Reservation", "Spend"]

_SAVED_LIMIT = "daily_budget_usd"
_LOCK_KEY = 0x41A5B0D6  # PostgreSQL advisory lock serialising reservations across replicas
_EPSILON = 1e-9


class BudgetSpent(GenerationError):
    """The next provider call would pass the day's budget."""

    passthrough = True  # not a provider failure: retrying before midnight cannot help

    def __init__(self, limit: float, spent: float, resumes_at: datetime) -> None:
        super().__init__(
            FailureReason.RATE_LIMITED,
            f"The daily budget of ${limit:.2f} is spent (${spent:.2f} today); it resets at "
            f"{resumes_at:%H:%M} UTC. An admin can raise it in Settings → Default avatars or "
            "with AVATARS_DAILY_BUDGET_USD")
        # Our own clock, not a provider's delay: the budget resets at midnight, so the bound
        # on provider delays does not apply.
        self.retry_after = max(1.0, (resumes_at - utcnow()).total_seconds())
        self.resumes_at = resumes_at


@dataclass(frozen=True)
class Pause:
    """Why background work waits, and when it goes on by itself."""

    reason: str
    resumes_at: datetime


@dataclass(frozen=True)
class Spend:
    """Spend by kind of call: today (UTC), over the last 30 days and per day; the limit."""

    today: dict[str, float]
    last_30_days: dict[str, float]
    limit: float | None
    source: str = "none"  # where the limit comes from: "settings", "environment" or "none"
    environment_limit: float | None = None
    days: list[tuple[date, dict[str, float]]] = field(default_factory=list)  # oldest first

    @property
    def spent_today(self) -> float:
        return sum(self.today.values())

    @property
    def remaining(self) -> float | None:
        """What may still be spent today (never below 0); None without a budget."""
        return None if self.limit is None else max(0.0, self.limit - self.spent_today)

    @property
    def resets_at(self) -> datetime:
        """When "today" ends: the next UTC midnight."""
        return next_midnight(utcnow())


class Reservation:
    """Money held for one paid call (or a batch) until it is settled or released.

    ``settle`` keeps it as spent (optionally at the real cost); ``release`` gives it back. A
    reservation left open by a process that died stays counted: money is never assumed unspent.
    """

    def __init__(self, engine: Engine, call_id: int, cost: float) -> None:
        self.engine = engine
        self.id = call_id
        self.cost = cost

    def settle(self, cost: float | None = None) -> None:
        values: dict[str, object] = {"settled": True}
        if cost is not None:
            values["cost_usd"] = cost
        with self.engine.begin() as conn:
            conn.execute(provider_calls.update().where(provider_calls.c.id == self.id)
                         .values(**values))

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(provider_calls.delete().where(provider_calls.c.id == self.id,
                                                       provider_calls.c.settled.is_(False)))


def next_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


class Budget:
    """The ``provider_calls`` ledger and the daily limit (Settings overrides the environment)."""

    def __init__(self, engine: Engine, settings: Settings, saved: SavedSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.saved = saved

    def limit(self) -> float | None:
        """The day's budget in USD, or None for none."""
        saved = self.saved.get(_SAVED_LIMIT)
        if saved:  # "" was how "no budget" used to be saved: it meant the environment's
            return float(saved)
        return self.settings.daily_budget_usd

    def source(self) -> str:
        """Where the limit comes from: "settings", "environment" or "none"."""
        if self.saved.get(_SAVED_LIMIT):
            return "settings"
        return "none" if self.settings.daily_budget_usd is None else "environment"

    def set_limit(self, usd: float | None) -> None:
        """Save a daily budget, or with None clear the saved one back to the environment's;
        takes effect at once on every replica."""
        if usd is not None and not (math.isfinite(usd) and 0 <= usd <= 1_000_000):
            raise InvalidInput("The daily budget must be between $0 and $1,000,000")
        self.saved.set(_SAVED_LIMIT, None if usd is None else repr(float(usd)))

    @contextmanager
    def spending(self, kind: CallKind, provider: str, model: str, cost: float) -> Iterator[None]:
        """Hold ``cost`` for one call: kept if the call returns or timed out (it may have been
        drawn and billed), released if it failed otherwise."""
        reservation = self.reserve(cost, kind, provider, model)
        try:
            yield
        except BaseException as exc:
            if to_generation_error(exc).reason is FailureReason.TIMEOUT:
                reservation.settle()
            else:
                reservation.release()
            raise
        reservation.settle()

    def reserve(self, cost: float, kind: CallKind, provider: str = "", model: str = "",
                ) -> Reservation:
        """Hold ``cost`` against today's budget (``BudgetSpent`` when it does not fit)."""
        now = utcnow()
        limit = self.limit()
        with self._serialised() as conn:
            if limit is not None and cost > 0:
                spent = self._spent_since(conn, _day_start(now))
                if spent + cost > limit + _EPSILON:
                    raise BudgetSpent(limit, spent, next_midnight(now))
            call_id = inserted_id(conn.execute(provider_calls.insert().values(
                at=now, kind=kind, provider=provider[:40], model=model[:120], cost_usd=cost,
                settled=False)))
            conn.commit()
        return Reservation(self.engine, call_id, cost)

    def reservation(self, call_id: int) -> Reservation | None:
        """An open reservation again (e.g. a batch's, after a restart); None if settled or gone."""
        with self.engine.connect() as conn:
            cost = conn.scalar(sa.select(provider_calls.c.cost_usd).where(
                provider_calls.c.id == call_id, provider_calls.c.settled.is_(False)))
        return None if cost is None else Reservation(self.engine, call_id, float(cost))

    @contextmanager
    def _serialised(self) -> Iterator[sa.Connection]:
        """A transaction that holds the ledger's lock from before its read to its commit.

        pysqlite only sends BEGIN before the first write, so under ``engine.begin()`` two
        reservations could both read the old total and both pass the budget; BEGIN IMMEDIATE
        takes SQLite's write lock before the read. PostgreSQL takes an advisory lock instead.
        Leaving without ``commit()`` rolls back.
        """
        with self.engine.connect() as conn:
            if is_sqlite(self.engine):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
            yield conn

    def check(self, cost: float) -> None:
        """``BudgetSpent`` when ``cost`` more would pass today's budget."""
        limit = self.limit()
        if limit is None or cost <= 0:
            return
        now = utcnow()
        with self.engine.connect() as conn:
            spent = self._spent_since(conn, _day_start(now))
        if spent + cost > limit + _EPSILON:
            raise BudgetSpent(limit, spent, next_midnight(now))

    def record(self, kind: CallKind, provider: str, model: str, cost: float) -> None:
        """A call already made and billed (a batch's result): recorded whatever the budget."""
        with self.engine.begin() as conn:
            conn.execute(provider_calls.insert().values(
                at=utcnow(), kind=kind, provider=provider, model=model, cost_usd=cost,
                settled=True))

    def pause(self, next_cost: float) -> Pause | None:
        """A pause when a call of ``next_cost`` would pass today's budget; None otherwise."""
        limit = self.limit()
        if limit is None or next_cost <= 0:
            return None
        now = utcnow()
        with self.engine.connect() as conn:
            spent = self._spent_since(conn, _day_start(now))
        if spent + next_cost <= limit + _EPSILON:
            return None
        if spent + _EPSILON >= limit:
            reason = f"The daily budget of ${limit:.2f} is spent (${spent:.2f} today)"
        else:  # e.g. a whole batch waits for more than what is left
            reason = (f"The daily budget of ${limit:.2f} has ${limit - spent:.2f} left today, "
                      f"less than the next step's ${next_cost:.2f}")
        return Pause(reason, next_midnight(now))

    def summary(self, days: int = 30) -> Spend:
        """Spend today, over the last ``days`` days and per day (oldest first), by kind."""
        now = utcnow()
        first = _day_start(now) - timedelta(days=days - 1)
        per_day: dict[date, dict[str, float]] = {
            (first + timedelta(days=n)).date(): {kind.value: 0.0 for kind in CallKind}
            for n in range(days)}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(provider_calls.c.at, provider_calls.c.kind,
                                          provider_calls.c.cost_usd)
                                .where(provider_calls.c.at >= first)).all()
        for at, kind, cost in rows:
            day = per_day.get(at.astimezone(UTC).date())
            if day is not None:
                day[str(kind)] = day.get(str(kind), 0.0) + float(cost or 0.0)
        total = {kind.value: 0.0 for kind in CallKind}
        for by_kind in per_day.values():
            for kind, usd in by_kind.items():
                total[kind] = total.get(kind, 0.0) + usd
        return Spend(dict(per_day[now.date()]), total, self.limit(), self.source(),
                     self.settings.daily_budget_usd, sorted(per_day.items()))

    @staticmethod
    def _spent_since(conn: sa.Connection, since: datetime) -> float:
        return float(conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(
            provider_calls.c.cost_usd), 0.0)).where(provider_calls.c.at >= since)) or 0.0)


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)
