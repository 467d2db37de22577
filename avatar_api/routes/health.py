"""Is the API up, which provider would draw, and is this a demo (no admin token)?"""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import ServiceDep
from ..error_statuses import errors
from ..models import HealthOut

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=HealthOut, responses=errors())
def health(service: ServiceDep) -> HealthOut:
    return HealthOut(status="ok", provider=service.providers.label(),
                     demo_mode=service.tokens.demo_mode)
