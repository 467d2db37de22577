"""Progress of background jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..answers import errors
from ..deps import Editor, RowId, ServiceDep
from ..responses import JobOut
from ..schemas import job_json

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=JobOut, responses=errors(401, 404, 422))
def get_job(job_id: RowId, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return job_json(service.job(job_id))
