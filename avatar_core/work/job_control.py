"""Managing jobs: the list of recent ones, cancelling one, and how each is reported.

An open job is reported ``paused`` (with why and until when) while the budget holds background
work; ``paused`` is never stored, so filtering by it (or by queued/running) looks at the pause.
"""

from __future__ import annotations

from dataclasses import replace

from ..domain.jobs import OPEN, Jobs
from ..foundation.models import Job, JobKind, JobStatus
from .background import BackgroundWork
from .budget import Pause

__all__ = ["JobControl"]

_LOOK_UP = object()


class JobControl:
    """Reads and cancels jobs for the API and the Settings page."""

    def __init__(self, jobs: Jobs, work: BackgroundWork) -> None:
        self.jobs = jobs
        self.work = work

    def get(self, job_id: int) -> Job:
        return self.reported(self.jobs.get(job_id))

    def latest(self, kind: JobKind) -> Job | None:
        job = self.jobs.latest(kind)
        return None if job is None else self.reported(job)

    def cancel(self, job_id: int) -> Job:
        """Stop a job: open items never start, items being drawn finish and are kept (and the
        faces it made get their emotions, like any new avatar). Again: the same answer; a job
        that finished by itself: ``Conflict``."""
        job = self.jobs.cancel(job_id)
        self.work.bulk.finish(job_id)
        return job

    def page(self, status: JobStatus | None = None, kind: JobKind | None = None,
             limit: int = 20, offset: int = 0) -> tuple[list[Job], int]:
        """Jobs newest first, filtered: (this page, how many match)."""
        pause = self.work.pause()
        stored: tuple[JobStatus, ...] | None = None if status is None else (status,)
        if status is JobStatus.PAUSED:
            stored = OPEN if pause is not None else ()
        elif status in OPEN and pause is not None:
            stored = ()
        found, total = self.jobs.page(stored, kind, limit, offset)
        return [self.reported(job, pause) for job in found], total

    def reported(self, job: Job, pause: Pause | object | None = _LOOK_UP) -> Job:
        """``job`` as reported: ``paused`` while open and the budget holds background work."""
        if job.finished:
            return job
        if pause is _LOOK_UP:
            pause = self.work.pause_of(job)  # a batch job: its own reason
        if not isinstance(pause, Pause):
            return job
        return replace(job, status=JobStatus.PAUSED, paused_reason=pause.reason,
                       resumes_at=pause.resumes_at)
