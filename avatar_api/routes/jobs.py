"""Progress of background jobs."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import Editor, RowId, ServiceDep
from ..error_statuses import errors
from ..models import JobOut

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobOut, responses=errors(401, 404, 422))
def get_job(job_id: RowId, service: ServiceDep, _role: Editor) -> JobOut:
    return JobOut.of(service.job(job_id))
