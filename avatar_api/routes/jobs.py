"""Progress of background jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import Editor, ServiceDep
from ..schemas import job_json

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}")
def get_job(job_id: int, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return job_json(service.job(job_id))
