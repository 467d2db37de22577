"""An agent's avatar: the image (public), generate, regenerate, remove, identity, bulk defaults."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from avatar_core import (
    WAIT_MAX_S,
    AvatarService,
    AvatarVersion,
    FallbackKind,
    InvalidInput,
    NotFound,
    urls,
)

from ..bodies import read_form, read_generate_body
from ..caching import image_response, is_versioned
from ..deps import Admin, AgentName, Editor, ServiceDep
from ..error_statuses import errors, image_answers
from ..inputs import GenerateIn
from ..models import (
    AvatarRemovedOut,
    DefaultsSummaryOut,
    GenerationOut,
    IdentityOut,
    JobOut,
    PlanOut,
)
from ..negotiation import AskDep

router = APIRouter(tags=["avatars"])

_GENERATE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": GenerateIn.model_json_schema()},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["identity_prompt"],
        "properties": {
            "identity_prompt": {"type": "string", "maxLength": 500},
            "reference_image": {"type": "string", "format": "binary"}}}}}}}


# Generating calls the provider: every failure reason may be the answer.
_GENERATION_ERRORS = (400, 401, 404, 413, 422, 429, 501, 502, 504)
_DEFAULTS_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": DefaultsSummaryOut | PlanOut,
          "description": "With ?wait=true: the finished job's summary; with ?dry_run=true: what "
                         "a run would do and cost"},
    202: {"description": "The job, running (or still running when the wait ran out)",
          "headers": {"Location": {"description": "The job's URL",
                                   "schema": {"type": "string"}}}},
    **errors(400, 401, 403, 413, 422, 501),
}

_PICTURE_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["image"],
               "properties": {"image": {"type": "string", "format": "binary"}}}}}}}


@router.post("/agents/avatars/generate-defaults", status_code=202, response_model=JobOut,
             responses=_DEFAULTS_ANSWERS)
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
        return _json(PlanOut.of(service.work.bulk.plan(batch=mode == "batch")))
    job = service.generate_defaults(wait=wait, timeout=timeout, batch=mode == "batch")
    if wait and job.finished:
        return _json(DefaultsSummaryOut.of(job, service.defaulted_agents(job.id)))
    # Not asked to wait, or still running when the wait ran out: where to follow it.
    return _json(JobOut.of(job), status_code=202, headers={"Location": urls.job_url(job.id)})


@router.get("/agents/{name}/avatar", response_class=Response,
            responses=image_answers("image/webp", 400, 404, 422))
async def get_avatar(
    name: AgentName, request: Request, service: ServiceDep, ask: AskDep, v: str | None = None,
    fallback: Annotated[FallbackKind | None, Query(
        description="For an agent without an avatar: its initials or the built-in robot "
                    "instead of 404 (X-Avatar-Fallback says which)")] = None,
) -> Response:
    # Hot images are answered by HotAvatars before routing; this is the cold path.
    try:
        image = await run_in_threadpool(service.serving.avatar, name, ask)
    except NotFound:
        if fallback is None:
            raise  # an unknown agent stays 404 below too: the fallback asks for the agent
        image = await run_in_threadpool(service.serving.fallback, name, fallback, ask)
        return image_response(request, image, versioned=False, vary=ask.negotiated,
                              fallback=fallback)
    return image_response(request, image, versioned=is_versioned(image, v), vary=ask.negotiated)


@router.get("/agents/{name}/avatar/reference", response_class=Response,
            responses=image_answers("image/png", 400, 404, 422))
def get_reference(name: AgentName, request: Request, service: ServiceDep, ask: AskDep,
                  v: str | None = None) -> Response:
    """The full-quality PNG; with ``?size=`` or ``?format=``, a rendition of it."""
    plain = "size" not in request.query_params and "format" not in request.query_params
    image = service.serving.reference(name, None if plain else ask)
    return image_response(request, image, versioned=is_versioned(image, v),
                          vary=not plain and ask.negotiated)


@router.post("/agents/{name}/avatar/generate", openapi_extra=_GENERATE_BODY,
             response_model=GenerationOut, responses=errors(*_GENERATION_ERRORS))
async def generate(name: AgentName, request: Request, service: ServiceDep,
                   _role: Editor) -> GenerationOut:
    prompt, reference = await read_generate_body(request)
    version = await run_in_threadpool(service.generate, name, prompt, reference)
    return await run_in_threadpool(_generation, service, name, version)


@router.put("/agents/{name}/avatar", openapi_extra=_PICTURE_BODY, response_model=GenerationOut,
            responses=errors(400, 401, 404, 413, 422))
async def install_picture(name: AgentName, request: Request, service: ServiceDep,
                          _role: Editor) -> GenerationOut:
    """Install a picture as the avatar itself (multipart field ``image``): a new version."""
    form = await read_form(request, file_field="image")
    if form.file is None:
        raise InvalidInput("Send the picture as the multipart file field 'image'")
    version = await run_in_threadpool(service.install_picture, name, form.file)
    return await run_in_threadpool(_generation, service, name, version)


@router.post("/agents/{name}/avatar/regenerate", response_model=GenerationOut,
             responses=errors(*_GENERATION_ERRORS))
def regenerate(name: AgentName, service: ServiceDep, _role: Editor) -> GenerationOut:
    return _generation(service, name, service.regenerate(name))


@router.delete("/agents/{name}/avatar", response_model=AvatarRemovedOut,
               responses=errors(400, 401, 404, 413, 422))
def remove_avatar(name: AgentName, service: ServiceDep, _role: Editor) -> AvatarRemovedOut:
    return AvatarRemovedOut(agent_name=name, removed=service.remove_avatar(name))


@router.get("/agents/{name}/avatar/identity", response_model=IdentityOut,
            responses=errors(400, 401, 404, 422))
def identity(name: AgentName, service: ServiceDep, _role: Editor) -> IdentityOut:
    return IdentityOut.of(service.agents.get(name), service.current_version(name))


def _generation(service: AvatarService, name: str, version: AvatarVersion) -> GenerationOut:
    """The agent as it is after the change, with the version that changed it."""
    return GenerationOut.of(service.agents.get(name), version)


def _json(answer: BaseModel, status_code: int = 200, **options: Any) -> JSONResponse:
    """A model rendered by hand, for the one route whose answer's shape depends on its query."""
    return JSONResponse(answer.model_dump(mode="json"), status_code=status_code, **options)
