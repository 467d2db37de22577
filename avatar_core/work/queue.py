"""The background worker: claims pending items with leases and runs them on a bounded pool.

Work is rows in the database, never only memory: a source (bulk default items, emotion
variants) hands out the rows this process claimed as tasks. The dispatcher claims as many as it
has free threads, sources in priority order, whenever new work was added here (``kick``), a task
finished, the next due moment came (a lease lapsing, a parked row's midnight), or the poll
interval passed (work added, or the budget raised, by another replica). A row the budget cannot
pay for now is *parked* (``park``), not given back: nobody claims it again until the budget has
room (``wake``) or its day is over, so a worker with nothing it may do sleeps instead of
claiming and releasing the same rows in a loop. A heartbeat keeps the leases of running tasks
alive; a process that dies stops heartbeating and its items are taken over by another once their
leases lapse.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.clock import utcnow
from ..storage.leases import extend_leases, park, release

__all__ = ["Task", "WorkSource", "Worker"]

log = logging.getLogger("avatar_core.work")


@dataclass(frozen=True)
class Task:
    """One claimed row: its table and primary key (for heartbeats) and what to do with it."""

    table: sa.Table
    key: dict[str, Any]
    run: Callable[[], None] = field(compare=False)
    idle_only: bool = field(default=False, compare=False)
    """Work nobody waits for (renditions): claimed only while no other task runs here."""


class WorkSource(Protocol):
    """Something with pending rows to claim, e.g. bulk default items or emotion variants."""

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Task]: ...


class Worker:
    """One per process: a dispatcher thread, a heartbeat thread and ``threads`` workers."""

    def __init__(self, engine: Engine, sources: Sequence[WorkSource], *, owner: str,
                 lease_s: float, threads: int, poll_s: float = 1.0,
                 wake: Callable[[], None] = lambda: None,
                 next_due: Callable[[], datetime | None] = lambda: None) -> None:
        self.engine = engine
        self.wake = wake  # before each round: parked rows back if the budget has room now
        self.next_due = next_due  # the soonest moment something becomes claimable by itself
        self.sources = list(sources)
        self.owner = owner
        self.lease_s = lease_s
        self.threads = max(1, threads)
        self.poll_s = poll_s
        self.stopping = threading.Event()
        self._cond = threading.Condition()
        self._running: dict[int, Task] = {}
        self._dirty = True  # something may be claimable: look before calling it idle
        self._idle = False
        # Idle-only work (renditions) has threads of its own, so it never takes the room of
        # work that turns up while it runs.
        self.idle_threads = max(1, self.threads // 2)
        self._pool = ThreadPoolExecutor(max_workers=self.threads + self.idle_threads,
                                        thread_name_prefix="avatar-work")
        self._threads = [threading.Thread(target=self._dispatch, name="avatar-dispatch",
                                          daemon=True),
                         threading.Thread(target=self._heartbeat, name="avatar-heartbeat",
                                          daemon=True)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def kick(self) -> None:
        """New work was added in this process: claim it now rather than at the next poll."""
        with self._cond:
            self._dirty = True
            self._idle = False
            self._cond.notify_all()

    def idle(self) -> bool:
        """True when nothing runs here and the last look found nothing to claim (idle-only
        work, e.g. renditions, does not count: nobody waits for it)."""
        with self._cond:
            return (self._idle and not self._dirty
                    and all(task.idle_only for task in self._running.values()))

    def stop(self, wait: bool = False) -> None:
        """Stop claiming; running tasks see ``stopping`` and leave their rows pending."""
        self.stopping.set()
        self.kick()
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if wait:
            for thread in self._threads:
                if thread.is_alive():
                    thread.join()

    def _dispatch(self) -> None:
        while not self.stopping.is_set():
            with self._cond:
                self._dirty = False
            try:
                claimed = self._claim_round()
            except Exception:  # a database hiccup must not end background work for good
                log.exception("Claiming background work failed; retrying")
                claimed = False
            timeout = self._sleep_s() if not claimed else self.poll_s
            with self._cond:
                urgent = any(not task.idle_only for task in self._running.values())
                if not claimed and not self._dirty and not urgent:
                    self._idle = True
                if not self._dirty and not self.stopping.is_set():
                    self._cond.wait(timeout=timeout)

    def _sleep_s(self) -> float:
        """How long to sleep with nothing to claim: until the next due moment, at most
        ``poll_s`` (another replica may add work or raise the budget)."""
        try:
            due = self.next_due()
        except Exception:
            log.exception("Reading when background work is due failed")
            return self.poll_s
        if due is None:
            return self.poll_s
        return min(self.poll_s, max(0.01, (due - utcnow()).total_seconds()))

    def _claim_round(self) -> bool:
        """Claim what there is room for; True when anything but idle-only work was claimed."""
        claimed = False
        self.wake()
        for source in self.sources:
            with self._cond:
                urgent = sum(not task.idle_only for task in self._running.values())
                idle = len(self._running) - urgent
            if self.stopping.is_set():
                break
            if getattr(source, "idle_only", False):
                if urgent:
                    continue  # nobody waits for it: only while nothing else runs
                free = self.idle_threads - idle
            else:
                free = self.threads - urgent
            if free <= 0:
                continue
            for task in source.claim(self.owner, self.lease_s, free):
                self._submit(task)
                claimed = claimed or not task.idle_only
        return claimed

    def _submit(self, task: Task) -> None:
        with self._cond:
            self._running[id(task)] = task
        try:
            self._pool.submit(self._run, task)
        except RuntimeError:  # pool shut down: the row stays pending for the next start
            self._done(task)

    def release(self, task_table: sa.Table, key: dict[str, Any]) -> None:
        """Give a claimed row back still pending (e.g. the budget ran out before its call)."""
        release(self.engine, task_table, key, self.owner)
        with self._cond:
            self._dirty = True
            self._cond.notify_all()

    def park(self, task_table: sa.Table, key: dict[str, Any], until: datetime) -> None:
        """Put a claimed row aside until ``until`` or until the budget has room again (the
        budget cannot pay for it now). Unlike ``release`` this wakes nobody: it is not work."""
        park(self.engine, task_table, key, self.owner, until)

    def _run(self, task: Task) -> None:
        try:
            if not self.stopping.is_set():
                task.run()
        except Exception:  # a task reports its own failures; this is a bug, not a failure
            log.exception("Background task %s crashed", task.key)
        finally:
            self._done(task)

    def _done(self, task: Task) -> None:
        with self._cond:
            self._running.pop(id(task), None)
            self._dirty = True  # a thread is free: there may be more to claim
            self._cond.notify_all()

    def _heartbeat(self) -> None:
        interval = max(0.5, self.lease_s / 3)
        while not self.stopping.wait(interval):
            with self._cond:
                tasks = list(self._running.values())
            by_table: dict[str, tuple[sa.Table, list[dict[str, Any]]]] = {}
            for task in tasks:
                by_table.setdefault(task.table.name, (task.table, []))[1].append(task.key)
            for table, keys in by_table.values():
                try:
                    extend_leases(self.engine, table, keys, self.owner, self.lease_s)
                except Exception:
                    log.exception("Could not extend leases on %s", table.name)
