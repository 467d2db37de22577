"""An avatar's emotion variants: which exist, and each image under its stable key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..caching import image_response
from ..deps import ServiceDep
from ..schemas import emotions_json

router = APIRouter(tags=["emotions"])


@router.get("/agents/{name}/avatar/emotions")
def get_emotions(name: str, service: ServiceDep) -> dict[str, Any]:
    return emotions_json(service.emotions(name))


@router.get("/agents/{name}/avatar/emotion/{emotion}", response_class=Response,
            responses={200: {"content": {"image/webp": {}}}})
def get_emotion(name: str, emotion: str, request: Request, service: ServiceDep,
                k: str | None = None) -> Response:
    image = service.emotion_image(name, emotion)
    return image_response(request, image, versioned=k is not None and k == image.key)
