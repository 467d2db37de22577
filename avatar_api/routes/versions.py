"""An avatar's history, and restoring an older version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..caching import image_response, is_versioned
from ..deps import Editor, MaybeEditor, ServiceDep
from ..schemas import generation_json, version_json

router = APIRouter(tags=["avatars"])


@router.get("/agents/{name}/avatar/versions")
def versions(name: str, service: ServiceDep, role: MaybeEditor) -> list[dict[str, Any]]:
    """The history is public; identity prompts in it only for editors, as on ``/identity``."""
    return [version_json(name, v, with_prompt=role is not None) for v in service.versions(name)]


@router.get("/agents/{name}/avatar/versions/{version_id}/image", response_class=Response,
            responses={200: {"content": {"image/webp": {}}}, 304: {"description": "Unchanged"}})
def version_image(name: str, version_id: int, request: Request, service: ServiceDep,
                  v: str | None = None) -> Response:
    image = service.version_image(name, version_id)
    return image_response(request, image, versioned=is_versioned(image, v))


@router.post("/agents/{name}/avatar/versions/{version_id}/restore")
def restore(name: str, version_id: int, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return generation_json(service, name, service.restore(name, version_id))
