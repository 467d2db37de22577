"""Background jobs: progress of one, the list of recent ones, and cancelling one.

The list is paged with ``limit`` (1–100, default 20) and ``offset``: the answer says how many
jobs match (``total``), so the next page starts at ``offset + limit``. Cancelling a job that is
already cancelled answers it again (idempotent); one that finished by itself is 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from avatar_core import JobKind, JobStatus

from ..deps import Admin, Editor, RowId, ServiceDep
from ..error_statuses import errors
from ..models import JobOut, JobPageOut

router = APIRouter(tags=["jobs"])

JOBS_PAGE_MAX = 100


@router.get("/jobs", response_model=JobPageOut, responses=errors(401, 403, 422))
def list_jobs(
    service: ServiceDep, _role: Admin,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this state")] = None,
    kind: Annotated[JobKind | None, Query(description="Only jobs of this kind")] = None,
    limit: Annotated[int, Query(ge=1, le=JOBS_PAGE_MAX, description="Jobs per page")] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31, description="Jobs to skip, newest first")] = 0,
) -> JobPageOut:
    found, total = service.job_control.page(status, kind, limit, offset)
    return JobPageOut(jobs=[JobOut.of(job) for job in found], total=total, limit=limit,
                      offset=offset)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=errors(401, 404, 422))
def get_job(job_id: RowId, service: ServiceDep, _role: Editor) -> JobOut:
    return JobOut.of(service.job_control.get(job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut,
             responses=errors(401, 403, 404, 409, 413, 422))
def cancel_job(job_id: RowId, service: ServiceDep, _role: Admin) -> JobOut:
    """Open items are not started; items being drawn finish and are kept."""
    return JobOut.of(service.job_control.cancel(job_id))
