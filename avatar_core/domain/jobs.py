"""Jobs: persisted bulk work (one ``jobs`` row, one ``job_items`` row per agent) and its summary.

Items go pending → done | failed | skipped and are claimed by workers with leases; the job is
finished by whichever worker completes its last item, exactly once. A cancelled job is finished
at once: its open items are skipped and never start, items already drawing (and a batch already
submitted, which is paid for) finish and are kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.clock import utcnow
from ..foundation.errors import Conflict, NotFound
from ..foundation.limits import MESSAGE_MAX_CHARS
from ..foundation.models import ItemStatus, Job, JobError, JobKind, JobMode, JobStatus
from ..storage.database import inserted_id
from ..storage.leases import PARKED, claim, unclaimed
from ..storage.schema import job_items, jobs

__all__ = ["BATCH", "CANCELLED_MESSAGE", "ClaimedItem", "Jobs", "failures_by_reason",
           "failures_text", "job_summary"]

OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)
BATCH = JobMode.BATCH.value  # stored in jobs.mode; NULL there means JobMode.CALLS
CANCELLED_MESSAGE = "the job was cancelled before this item started"


@dataclass(frozen=True)
class ClaimedItem:
    """A pending item this worker now holds the lease on."""

    job_id: int
    agent_id: int
    owner: str = ""  # who claimed it ("" for items handled under the job's own lease)


class Jobs:
    """The ``jobs`` and ``job_items`` tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open_job(self, kind: JobKind) -> int | None:
        with self.engine.connect() as conn:
            found = conn.scalar(sa.select(jobs.c.id).where(
                jobs.c.kind == kind, jobs.c.status.in_(OPEN)).order_by(jobs.c.id).limit(1))
        return None if found is None else int(found)

    def create(self, kind: JobKind, items: Sequence[tuple[int, str, ItemStatus]], *,
               batch: bool = False) -> int:
        """A queued job with one item per (agent id, agent name, initial status); with
        ``batch`` its pending items are left to the provider's batch API."""
        with self.engine.begin() as conn:
            job_id = inserted_id(conn.execute(jobs.insert().values(
                kind=kind, status=JobStatus.QUEUED, summary="", created_at=utcnow(),
                mode=BATCH if batch else None)))
            if items:
                conn.execute(job_items.insert(), [
                    {"job_id": job_id, "agent_id": agent_id, "agent_name": name,
                     "status": status, "via_batch": batch and status == ItemStatus.PENDING}
                    for agent_id, name, status in items])
        return job_id

    def claim(self, owner: str, lease_s: float, limit: int) -> list[ClaimedItem]:
        """Claim pending items of open jobs, oldest job first; their jobs become running."""
        open_ids = sa.select(jobs.c.id).where(jobs.c.status.in_(OPEN))
        rows = claim(self.engine, job_items,
                     where=sa.and_(job_items.c.status == ItemStatus.PENDING,
                                   job_items.c.job_id.in_(open_ids),
                                   sa.func.coalesce(job_items.c.via_batch, False).is_(False)),
                     order_by=[job_items.c.job_id, job_items.c.agent_name], owner=owner,
                     lease_s=lease_s, limit=limit)
        claimed = [ClaimedItem(r.job_id, r.agent_id, owner) for r in rows]
        started = {item.job_id for item in claimed}
        if started:
            with self.engine.begin() as conn:
                conn.execute(jobs.update().where(jobs.c.id.in_(started),
                                                 jobs.c.status == JobStatus.QUEUED)
                             .values(status=JobStatus.RUNNING))
        return claimed

    def faces_waiting(self) -> bool:
        """Whether any open job has an item still to be drawn by a normal call (claimable now
        or in flight; not one parked for the budget, which must not hold emotions back)."""
        open_ids = sa.select(jobs.c.id).where(jobs.c.status.in_(OPEN))
        with self.engine.connect() as conn:
            return bool(conn.scalar(sa.select(sa.func.count()).select_from(job_items).where(
                job_items.c.status == ItemStatus.PENDING, job_items.c.job_id.in_(open_ids),
                sa.func.coalesce(job_items.c.via_batch, False).is_(False),
                sa.func.coalesce(job_items.c.owner, "") != PARKED)))

    # --- batch mode: the job's row is claimed, its items are drawn by the provider's batch ---

    def claim_batches(self, owner: str, lease_s: float, limit: int) -> list[int]:
        """Claim open batch-mode jobs that are due for their next step (submit or poll)."""
        now = utcnow()
        in_flight = sa.and_(jobs.c.status == JobStatus.CANCELLED, jobs.c.batch_name.is_not(None),
                            jobs.c.id.in_(sa.select(job_items.c.job_id).where(
                                job_items.c.status == ItemStatus.PENDING,
                                job_items.c.via_batch.is_(True))))
        rows = claim(self.engine, jobs, where=sa.and_(
            jobs.c.mode == BATCH, sa.or_(jobs.c.status.in_(OPEN), in_flight),
            sa.or_(jobs.c.poll_after.is_(None), jobs.c.poll_after <= now)),
            order_by=[jobs.c.id], owner=owner, lease_s=lease_s, limit=limit)
        return [int(r.id) for r in rows]

    def waiting_batches(self) -> list[int]:
        """Open batch jobs not submitted yet whose next step is in the future (the budget)."""
        with self.engine.connect() as conn:
            return [int(i) for i in conn.scalars(sa.select(jobs.c.id).where(
                jobs.c.mode == BATCH, jobs.c.status.in_(OPEN), jobs.c.batch_name.is_(None),
                jobs.c.poll_after > utcnow()))]

    def due_now(self, job_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(poll_after=utcnow()))

    def next_poll(self) -> datetime | None:
        """The soonest future step of an open batch job, or None."""
        with self.engine.connect() as conn:
            due: datetime | None = conn.scalar(sa.select(sa.func.min(jobs.c.poll_after)).where(
                jobs.c.mode == BATCH, jobs.c.status.in_(OPEN), jobs.c.poll_after > utcnow()))
        return due

    def batch_name(self, job_id: int) -> str | None:
        with self.engine.connect() as conn:
            name = conn.scalar(sa.select(jobs.c.batch_name).where(jobs.c.id == job_id))
        return None if name is None else str(name)

    def step_done(self, job_id: int, poll_after: datetime, batch_name: str | None = None) -> None:
        """The job's batch step is over: poll again after ``poll_after``; lease released."""
        values: dict[str, object] = {"poll_after": poll_after, "owner": None,
                                     "lease_until": None}
        if batch_name is not None:
            values["batch_name"] = batch_name
        with self.engine.begin() as conn:  # a cancelled job's batch in flight is polled on
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(**values))
            conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status.in_(OPEN))
                         .values(status=JobStatus.RUNNING))

    def batch_items(self, job_id: int) -> list[ClaimedItem]:
        """Pending items still left to the job's batch."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(job_items.c.agent_id).where(
                job_items.c.job_id == job_id, job_items.c.status == ItemStatus.PENDING,
                job_items.c.via_batch.is_(True))).all()
        return [ClaimedItem(job_id, int(r.agent_id)) for r in rows]

    def fall_back(self, item: ClaimedItem) -> None:
        """The batch did not draw this item: one call by any worker draws it instead (none
        when the job was cancelled: the item is skipped)."""
        if self.status(item.job_id) is JobStatus.CANCELLED:
            self.settle(item, ItemStatus.SKIPPED, message=CANCELLED_MESSAGE)
            return
        with self.engine.begin() as conn:
            conn.execute(job_items.update().where(
                job_items.c.job_id == item.job_id, job_items.c.agent_id == item.agent_id,
                job_items.c.status == ItemStatus.PENDING).values(via_batch=False))

    def settle(self, item: ClaimedItem, status: ItemStatus, reason: str | None = None,
               message: str | None = None) -> None:
        """Record how an item ended and release its lease."""
        with self.engine.begin() as conn:
            conn.execute(job_items.update().where(
                job_items.c.job_id == item.job_id, job_items.c.agent_id == item.agent_id,
                job_items.c.status == ItemStatus.PENDING)
                .values(status=status, reason=reason, owner=None, lease_until=None,
                        message=None if message is None else message[:MESSAGE_MAX_CHARS]))

    def finish_if_complete(self, job_id: int) -> Job | None:
        """Mark the job finished when no item is pending; the one caller that did gets it."""
        job = self.get(job_id)
        if job.finished or job.done < job.total:
            return None
        status = JobStatus.FAILED if job.total and job.failed == job.total else JobStatus.DONE
        with self.engine.begin() as conn:
            won = conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status.in_(OPEN))
                               .values(status=status, summary=job_summary(job),
                                       finished_at=utcnow())).rowcount
        return self.get(job_id) if won else None

    def cancel(self, job_id: int) -> Job:
        """Cancel an open job: items nobody is drawing are skipped, drawing ones finish; a
        submitted batch is polled on (it is paid). Cancelling again is a no-op; a job that
        finished by itself is a ``Conflict``."""
        with self.engine.begin() as conn:
            won = conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status.in_(OPEN))
                               .values(status=JobStatus.CANCELLED, finished_at=utcnow())).rowcount
            if won:
                submitted = sa.select(jobs.c.id).where(jobs.c.id == job_id,
                                                       jobs.c.batch_name.is_not(None))
                conn.execute(job_items.update().where(
                    job_items.c.job_id == job_id, job_items.c.status == ItemStatus.PENDING,
                    unclaimed(job_items),
                    sa.not_(sa.and_(sa.func.coalesce(job_items.c.via_batch, False).is_(True),
                                    sa.exists(submitted))))
                    .values(status=ItemStatus.SKIPPED, message=CANCELLED_MESSAGE))
        job = self.get(job_id)
        if job.status is not JobStatus.CANCELLED:
            raise Conflict(f"Job {job_id} already finished ({job.status.value}): nothing to "
                           "cancel")
        return job

    def skip_abandoned(self) -> int:
        """Skip the items of cancelled jobs that were being drawn by a process that died (their
        lease lapsed): nobody will draw them. A submitted batch's items stay with the batch."""
        cancelled = sa.select(jobs.c.id).where(jobs.c.status == JobStatus.CANCELLED)
        submitted = sa.select(jobs.c.id).where(jobs.c.id == job_items.c.job_id,
                                               jobs.c.batch_name.is_not(None))
        with self.engine.begin() as conn:
            return int(conn.execute(job_items.update().where(
                job_items.c.job_id.in_(cancelled), job_items.c.status == ItemStatus.PENDING,
                unclaimed(job_items),
                sa.not_(sa.and_(sa.func.coalesce(job_items.c.via_batch, False).is_(True),
                                sa.exists(submitted))))
                .values(status=ItemStatus.SKIPPED, message=CANCELLED_MESSAGE)).rowcount)

    def status(self, job_id: int) -> JobStatus | None:
        with self.engine.connect() as conn:
            found = conn.scalar(sa.select(jobs.c.status).where(jobs.c.id == job_id))
        return None if found is None else JobStatus(found)

    def page(self, statuses: Sequence[JobStatus] | None, kind: JobKind | None, limit: int,
             offset: int) -> tuple[list[Job], int]:
        """Jobs newest first, filtered by stored status and kind: (this page, how many match)."""
        where = sa.and_(sa.true() if statuses is None else jobs.c.status.in_(list(statuses)),
                        sa.true() if kind is None else jobs.c.kind == kind)
        with self.engine.connect() as conn:
            total = int(conn.scalar(sa.select(sa.func.count()).select_from(jobs).where(where))
                        or 0)
            ids = list(conn.scalars(sa.select(jobs.c.id).where(where)
                                    .order_by(jobs.c.id.desc()).limit(limit).offset(offset)))
        return [self.get(int(job_id)) for job_id in ids], total

    def agent_ids(self, job_id: int, status: ItemStatus) -> list[int]:
        with self.engine.connect() as conn:
            return [int(i) for i in conn.scalars(sa.select(job_items.c.agent_id).where(
                job_items.c.job_id == job_id, job_items.c.status == status))]

    def agent_names(self, job_id: int, status: ItemStatus) -> list[str]:
        with self.engine.connect() as conn:
            return [str(n) for n in conn.scalars(sa.select(job_items.c.agent_name).where(
                job_items.c.job_id == job_id, job_items.c.status == status)
                .order_by(job_items.c.agent_name))]

    def open_ids(self) -> list[int]:
        with self.engine.connect() as conn:
            return [int(i) for i in conn.scalars(
                sa.select(jobs.c.id).where(jobs.c.status.in_(OPEN)).order_by(jobs.c.id))]

    def get(self, job_id: int) -> Job:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
            if row is None:
                raise NotFound("Job not found")
            items = conn.execute(sa.select(job_items).where(job_items.c.job_id == job_id)
                                 .order_by(job_items.c.agent_name)).all()
        counts = Counter(ItemStatus(item.status) for item in items)
        errors = [JobError(i.agent_name, i.reason or "unknown", i.message or "")
                  for i in items if i.status == ItemStatus.FAILED]
        job = Job(id=row.id, kind=JobKind(row.kind), status=JobStatus(row.status),
                  mode=JobMode(row.mode or JobMode.CALLS),
                  total=len(items), done=len(items) - counts[ItemStatus.PENDING],
                  failed=counts[ItemStatus.FAILED], skipped=counts[ItemStatus.SKIPPED],
                  errors=errors, summary=row.summary or "", created_at=row.created_at,
                  finished_at=row.finished_at, generated=counts[ItemStatus.DONE],
                  agents=tuple(i.agent_name for i in items if i.status == ItemStatus.DONE))
        if job.status is JobStatus.CANCELLED:  # drawing items may still land: counted live
            job = replace(job, summary=f"Cancelled. {job_summary(job)}")
        return job

    def latest(self, kind: JobKind) -> Job | None:
        with self.engine.connect() as conn:
            job_id = conn.scalar(sa.select(jobs.c.id).where(jobs.c.kind == kind)
                                 .order_by(jobs.c.id.desc()).limit(1))
        return None if job_id is None else self.get(int(job_id))


def failures_by_reason(job: Job) -> dict[str, int]:
    """Counts of failed items per failure reason."""
    return dict(Counter(e.reason for e in job.errors))


def failures_text(job: Job) -> str:
    """"rate_limited: 3, timeout: 1" — failed items counted by reason ("none" without)."""
    counts = failures_by_reason(job)
    return ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items())) or "none"


def job_summary(job: Job) -> str:
    """The line a finished job is remembered by: "Generated 9, failed 1, skipped 2 (timeout: 1)"."""
    text = f"Generated {job.generated}, failed {job.failed}, skipped {job.skipped}"
    return f"{text} ({failures_text(job)})" if job.errors else text
