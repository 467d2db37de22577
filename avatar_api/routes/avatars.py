"""An agent's avatar: the image (public), generate, regenerate, remove, identity, bulk defaults."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from avatar_core.domain import urls
from avatar_core.foundation.errors import InvalidInput
from avatar_core.foundation.limits import WAIT_MAX_S

from ..bodies import read_form, read_generate_body
from ..caching import image_response, is_versioned
from ..deps import Admin, Editor, ServiceDep
from ..schemas import GenerateIn, defaults_summary_json, generation_json, job_json, plan_json

router = APIRouter(tags=["avatars"])

_GENERATE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": GenerateIn.model_json_schema()},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["identity_prompt"],
        "properties": {
            "identity_prompt": {"type": "string", "maxLength": 500},
            "reference_image": {"type": "string", "format": "binary"}}}}}}}


_PICTURE_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["image"],
               "properties": {"image": {"type": "string", "format": "binary"}}}}}}}


@router.post("/agents/avatars/generate-defaults", status_code=202,
             responses={200: {"description": "With ?wait=true: the finished job's summary"}})
def generate_defaults(
    service: ServiceDep, _role: Admin,
    wait: bool = Query(False, description="Block until done (at most `timeout` seconds)"),
    timeout: float = Query(WAIT_MAX_S, gt=0, le=WAIT_MAX_S,
                           description="With wait: answer 202 and the job after this long"),
    dry_run: bool = Query(False, description="Only say what a run would do and cost"),
    mode: Literal["calls", "batch"] = Query(
        "calls", description="batch: through the provider's batch API (half the price, "
                             "results within 24 h)"),
) -> Response:
    if dry_run:
        return JSONResponse(plan_json(service.defaults_plan(batch=mode == "batch")))
    job = service.generate_defaults(wait=wait, timeout=timeout, batch=mode == "batch")
    if wait and job.finished:
        return JSONResponse(defaults_summary_json(job, service.defaulted_agents(job.id)))
    # Not asked to wait, or still running when the wait ran out: where to follow it.
    return JSONResponse(job_json(job), status_code=202, headers={"Location": urls.job_url(job.id)})


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


@router.put("/agents/{name}/avatar", openapi_extra=_PICTURE_BODY)
async def install_picture(name: str, request: Request, service: ServiceDep,
                          _role: Editor) -> dict[str, Any]:
    """Install a picture as the avatar itself (multipart field ``image``): a new version."""
    form = await read_form(request, file_field="image")
    if form.file is None:
        raise InvalidInput("Send the picture as the multipart file field 'image'")
    version = await run_in_threadpool(service.install_picture, name, form.file)
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
