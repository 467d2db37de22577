"""An avatar's history, and restoring an older version."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..caching import image_response, is_versioned
from ..deps import AgentName, Editor, MaybeEditor, RowId, ServiceDep
from ..error_statuses import errors, image_answers
from ..models import GenerationOut, VersionOut
from ..negotiation import AskDep

router = APIRouter(tags=["avatars"])


@router.get("/agents/{name}/avatar/versions", response_model=list[VersionOut],
            responses=errors(400, 404, 422))
def versions(name: AgentName, service: ServiceDep, role: MaybeEditor) -> list[VersionOut]:
    """The history is public; identity prompts in it only for editors, as on ``/identity``."""
    return [VersionOut.of(name, v, with_prompt=role is not None) for v in service.versions(name)]


@router.get("/agents/{name}/avatar/versions/{version_id}/image", response_class=Response,
            responses=image_answers("image/webp", 400, 404, 422))
def version_image(name: AgentName, version_id: RowId, request: Request, service: ServiceDep,
                  ask: AskDep, v: str | None = None) -> Response:
    image = service.serving.version_image(name, version_id, ask)
    return image_response(request, image, versioned=is_versioned(image, v), vary=ask.negotiated)


@router.post("/agents/{name}/avatar/versions/{version_id}/restore", response_model=GenerationOut,
             responses=errors(400, 401, 404, 413, 422))
def restore(name: AgentName, version_id: RowId, service: ServiceDep,
            _role: Editor) -> GenerationOut:
    version = service.restore(name, version_id)
    return GenerationOut.of(service.agents.get(name), version)
