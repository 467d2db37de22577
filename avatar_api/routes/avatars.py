"""An agent's avatar: the image (public), generate, regenerate, remove, identity, bulk defaults."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from avatar_core.domain import urls

from ..bodies import read_generate_body
from ..caching import image_response, is_versioned
from ..deps import Admin, Editor, ServiceDep
from ..schemas import GenerateIn, generation_json, job_errors_json, job_json

router = APIRouter(tags=["avatars"])

_GENERATE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": GenerateIn.model_json_schema()},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["identity_prompt"],
        "properties": {
            "identity_prompt": {"type": "string", "maxLength": 500},
            "reference_image": {"type": "string", "format": "binary"}}}}}}}


@router.post("/agents/avatars/generate-defaults", status_code=202,
             responses={200: {"description": "With ?wait=true: the finished job's summary"}})
def generate_defaults(service: ServiceDep, _role: Admin,
                      wait: bool = Query(False, description="Block until done")) -> Response:
    job = service.generate_defaults(wait=wait)
    if not wait:
        return JSONResponse(job_json(job), status_code=202,
                            headers={"Location": urls.job_url(job.id)})
    return JSONResponse({
        "job_id": job.id,
        "generated": job.generated,
        "failed": job.failed,
        "skipped": job.skipped,
        "agents": job.total,
        "errors": job_errors_json(job),
        "message": job.summary,
    }, status_code=200)


@router.get("/agents/{name}/avatar", response_class=Response,
            responses={200: {"content": {"image/webp": {}}}, 304: {"description": "Unchanged"}})
async def get_avatar(name: str, request: Request, service: ServiceDep,
                     v: str | None = None) -> Response:
    # Hot images are answered by HotAvatars before routing; this is the cold path.
    image = await run_in_threadpool(service.avatar_image, name)
    return image_response(request, image, versioned=is_versioned(image, v))


@router.get("/agents/{name}/avatar/reference", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def get_reference(name: str, request: Request, service: ServiceDep,
                  v: str | None = None) -> Response:
    image = service.reference_image(name)
    return image_response(request, image, versioned=is_versioned(image, v))


@router.post("/agents/{name}/avatar/generate", openapi_extra=_GENERATE_BODY)
async def generate(name: str, request: Request, service: ServiceDep,
                   _role: Editor) -> dict[str, Any]:
    prompt, reference = await read_generate_body(request)
    version = await run_in_threadpool(service.generate, name, prompt, reference)
    return await run_in_threadpool(generation_json, service, name, version)


@router.post("/agents/{name}/avatar/regenerate")
def regenerate(name: str, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return generation_json(service, name, service.regenerate(name))


@router.delete("/agents/{name}/avatar")
def remove_avatar(name: str, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return {"agent_name": name, "removed": service.remove_avatar(name)}


@router.get("/agents/{name}/avatar/identity")
def identity(name: str, service: ServiceDep, _role: Editor) -> dict[str, Any]:
    return service.identity(name)
