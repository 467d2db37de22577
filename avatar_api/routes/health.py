"""Is the API up, which provider would draw, and is this a demo (no admin token)?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import ServiceDep

router = APIRouter(tags=["meta"])


@router.get("/health")
def health(service: ServiceDep) -> dict[str, Any]:
    return {"status": "ok", "provider": service.active_provider_label(),
            "demo_mode": service.tokens.demo_mode}
