"""An avatar's history, and restoring an older version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import Editor, ServiceDep
from ..schemas import generation_json, version_json

router = APIRouter(tags=["avatars"])


@router.get("/agents/{name}/avatar/versions")
def versions(name: str, service: ServiceDep) -> list[dict[str, Any]]:
    return [version_json(v) for v in service.versions(name)]


@router.post("/agents/{name}/avatar/versions/{version_id}/restore")
def restore(name: str, version_id: int, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return generation_json(service, name, service.restore(name, version_id))
