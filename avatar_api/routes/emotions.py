"""An avatar's emotion variants: which exist, and each image under its stable key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..caching import image_response
from ..deps import AgentName, ServiceDep
from ..error_statuses import errors, image_answers
from ..models import EmotionsOut
from ..negotiation import AskDep

router = APIRouter(tags=["emotions"])


@router.get("/agents/{name}/avatar/emotions", response_model=EmotionsOut,
            responses=errors(400, 404, 422))
def get_emotions(name: AgentName, service: ServiceDep) -> EmotionsOut:
    return EmotionsOut.of(service.emotions(name))


@router.get("/agents/{name}/avatar/emotion/{emotion}", response_class=Response,
            responses=image_answers("image/webp", 400, 404, 422))
def get_emotion(name: AgentName, emotion: str, request: Request, service: ServiceDep,
                ask: AskDep, k: str | None = None) -> Response:
    image = service.serving.emotion(name, emotion, ask)
    return image_response(request, image, versioned=k is not None and k == image.key,
                          vary=ask.negotiated)
