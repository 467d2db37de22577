"""Is the API up, which provider and model would draw (and why), and is this a demo?

Public and cheap: it never calls Google. Under ``auto`` the model is the one the key's model
list gave; before the first call there is none yet, and the reason says so.
"""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import ServiceDep
from ..error_statuses import errors
from ..models import HealthOut

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=HealthOut, responses=errors())
def health(service: ServiceDep) -> HealthOut:
    provider = service.providers.label()
    answer = HealthOut(status="ok", provider=provider, demo_mode=service.tokens.demo_mode,
                       saved_key_problem=service.providers.saved_key_problem())
    if provider.startswith("gemini"):
        chosen = service.providers.model_in_use(look_up=False)
        answer.model = chosen.model if chosen else None
        answer.model_reason = chosen.why if chosen else "auto: chosen on the first call"
    return answer
