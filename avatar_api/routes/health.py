"""Is the API up, which provider would draw, and is this a demo (no admin token)?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..answers import errors
from ..deps import ServiceDep
from ..responses import HealthOut

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=HealthOut, responses=errors())
def health(service: ServiceDep) -> dict[str, Any]:
    return {"status": "ok", "provider": service.active_provider_label(),
            "demo_mode": service.tokens.demo_mode,
            "saved_key_problem": service.saved_key_problem()}
