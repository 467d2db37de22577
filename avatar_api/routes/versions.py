"""An avatar's history, and restoring an older version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import Editor, MaybeEditor, ServiceDep
from ..schemas import generation_json, version_json

router = APIRouter(tags=["avatars"])


@router.get("/agents/{name}/avatar/versions")
def versions(name: str, service: ServiceDep, role: MaybeEditor) -> list[dict[str, Any]]:
    """The history is public; identity prompts in it only for editors, as on ``/identity``."""
    return [version_json(v, with_prompt=role is not None) for v in service.versions(name)]


@router.post("/agents/{name}/avatar/versions/{version_id}/restore")
def restore(name: str, version_id: int, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return generation_json(service, name, service.restore(name, version_id))
