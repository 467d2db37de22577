"""An avatar's emotion variants: which exist, and each image under its stable key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..answers import errors, image_answers
from ..caching import image_response
from ..deps import AgentName, ServiceDep
from ..negotiation import AskDep
from ..responses import EmotionsOut
from ..schemas import emotions_json

router = APIRouter(tags=["emotions"])


@router.get("/agents/{name}/avatar/emotions", response_model=EmotionsOut,
            responses=errors(400, 404, 422))
def get_emotions(name: AgentName, service: ServiceDep) -> dict[str, Any]:
    return emotions_json(service.emotions(name))


@router.get("/agents/{name}/avatar/emotion/{emotion}", response_class=Response,
            responses=image_answers("image/webp", 400, 404, 422))
def get_emotion(name: AgentName, emotion: str, request: Request, service: ServiceDep,
                ask: AskDep, k: str | None = None) -> Response:
    image = service.serving.emotion(name, emotion, ask)
    return image_response(request, image, versioned=k is not None and k == image.key,
                          vary=ask.negotiated)
