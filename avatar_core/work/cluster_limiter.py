"""``AVATARS_CONCURRENCY`` for the whole cluster: provider calls hold slots in the database.

With several replicas an in-process limit would multiply the load on the provider's quota by the
number of replicas. Here a call claims one of the ``provider_slots`` rows (with a lease, kept
alive by a heartbeat, so a dead replica's slots come free), and the AIMD state — how many slots
may be used now, and a pause after a 429 — is one ``limiter_state`` row every replica reads. A
slot freed in this process wakes this process's waiters at once; slots freed elsewhere are
noticed within ``poll_s``. Same interface as ``AdaptiveLimiter`` (``run``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..foundation.clock import utcnow
from ..foundation.errors import (
    DELAY_MAX_S,
    DELAY_MIN_S,
    FailureReason,
    GenerationError,
    bounded_delay,
    to_generation_error,
)
from ..storage.cluster import insert_ignoring_duplicates
from ..storage.database import is_sqlite
from ..storage.leases import unclaimed
from ..storage.schema import limiter_state, provider_slots

__all__ = ["ClusterLimiter"]

T = TypeVar("T")
_state = limiter_state
_slots = provider_slots


class ClusterLimiter:
    """Cluster-wide bounded concurrency that halves on a 429 and creeps back up (AIMD)."""

    def __init__(self, engine: Engine, maximum: int, owner: str, lease_s: float, *,
                 recover_after: int = 4, poll_s: float = 0.05) -> None:
        self.engine = engine
        self.maximum = max(1, maximum)
        self.owner = owner
        self.lease_s = lease_s
        self.recover_after = recover_after
        self.poll_s = poll_s
        self._cond = threading.Condition()
        self._held: set[int] = set()
        self._beating: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = False

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` holding a slot; record success or a rate limit."""
        slot = self.acquire()
        try:
            result = fn()
        except Exception as exc:
            if not getattr(exc, "passthrough", False):
                self.on_failure(to_generation_error(exc))
            raise
        finally:
            self.release(slot)
        self.on_success()
        return result

    def acquire(self) -> int:
        self._setup()
        while True:
            slot, wait = self._try_claim()
            if slot is not None:
                with self._cond:
                    self._held.add(slot)
                return slot
            with self._cond:
                self._cond.wait(timeout=min(max(wait, 0.001), self.poll_s))

    def release(self, slot: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(_slots.update().where(_slots.c.slot == slot, _slots.c.owner == self.owner)
                         .values(owner=None, lease_until=None))
        with self._cond:
            self._held.discard(slot)
            self._cond.notify_all()

    def on_success(self) -> None:
        grown = sa.and_(_state.c.successes + 1 >= self.recover_after,
                        _state.c.current < _state.c.maximum)
        with self.engine.begin() as conn:
            conn.execute(_state.update().where(_state.c.id == 1).values(
                current=sa.case((grown, _state.c.current + 1), else_=_state.c.current),
                successes=sa.case((grown, 0), else_=_state.c.successes + 1)))
        with self._cond:
            self._cond.notify_all()

    def on_failure(self, error: GenerationError) -> None:
        if error.reason is not FailureReason.RATE_LIMITED:
            return
        resume = utcnow() + timedelta(seconds=bounded_delay(error.retry_after) or DELAY_MIN_S)
        later = sa.or_(_state.c.paused_until.is_(None), _state.c.paused_until < resume)
        with self.engine.begin() as conn:
            conn.execute(_state.update().where(_state.c.id == 1).values(
                current=sa.case((_state.c.current > 1, _state.c.current / 2), else_=1),
                successes=0, rate_limited=_state.c.rate_limited + 1,
                paused_until=sa.case((later, resume), else_=_state.c.paused_until)))

    @property
    def rate_limited(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(sa.select(_state.c.rate_limited)
                                   .where(_state.c.id == 1)) or 0)

    def _try_claim(self) -> tuple[int | None, float]:
        """(a slot now claimed, or None and how long to wait before trying again)."""
        now = utcnow()
        with self.engine.begin() as conn:
            state = conn.execute(sa.select(_state).where(_state.c.id == 1)).first()
            if state is None:
                return None, self.poll_s
            if state.paused_until is not None and state.paused_until > now:
                return None, self._bounded_pause(conn, state.paused_until, now)
            query = (sa.select(_slots.c.slot).where(_slots.c.slot < state.current,
                                                    unclaimed(_slots))
                     .order_by(_slots.c.slot).limit(1))
            if not is_sqlite(self.engine):
                query = query.with_for_update(skip_locked=True)
            slot = conn.scalar(query)
            if slot is None:
                return None, self.poll_s
            taken = conn.execute(_slots.update().where(_slots.c.slot == slot, unclaimed(_slots))
                                 .values(owner=self.owner, lease_until=now + timedelta(
                                     seconds=self.lease_s))).rowcount
        return (int(slot), 0.0) if taken else (None, 0.0)

    @staticmethod
    def _bounded_pause(conn: Connection, paused_until: datetime, now: datetime) -> float:
        """Seconds left of the stored pause, never more than the bound on provider delays: a
        longer one (stored before the bound existed) is cut back to it, for every replica."""
        latest = now + timedelta(seconds=DELAY_MAX_S)
        if paused_until <= latest:
            return _seconds(paused_until, now)
        conn.execute(_state.update().where(_state.c.id == 1).values(paused_until=latest))
        return DELAY_MAX_S

    def _setup(self) -> None:
        """Slot rows for ``maximum`` and the shared state (the last replica to start sets the
        maximum); the heartbeat that keeps this replica's slots."""
        if self._ready:
            return
        with self.engine.begin() as conn:
            insert_ignoring_duplicates(conn, _slots, [{"slot": i} for i in range(self.maximum)])
            insert_ignoring_duplicates(conn, _state, [{
                "id": 1, "maximum": self.maximum, "current": self.maximum, "successes": 0,
                "rate_limited": 0}])
            _set_maximum(conn, self.maximum)
        self._beating = threading.Thread(target=self._heartbeat, name="avatar-slots",
                                         daemon=True)
        self._beating.start()
        self._ready = True

    def stop(self) -> None:
        self._stop.set()

    def _heartbeat(self) -> None:
        while not self._stop.wait(max(0.5, self.lease_s / 3)):
            with self._cond:
                held = list(self._held)
            if not held:
                continue
            until = utcnow() + timedelta(seconds=self.lease_s)
            try:
                with self.engine.begin() as conn:
                    conn.execute(_slots.update().where(_slots.c.slot.in_(held),
                                                       _slots.c.owner == self.owner)
                                 .values(lease_until=until))
            except Exception:  # a hiccup: the next beat tries again, well within the lease
                continue


def _set_maximum(conn: Connection, maximum: int) -> None:
    conn.execute(_state.update().where(_state.c.id == 1).values(
        maximum=maximum,
        current=sa.case((_state.c.current > maximum, maximum), else_=_state.c.current)))


def _seconds(later: datetime, now: datetime) -> float:
    return max(0.0, (later - now).total_seconds())
