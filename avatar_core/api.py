"""The REST API (FastAPI), mounted at /api inside the Streamlit server.

One place turns errors into responses: every ``AvatarError`` becomes
``{"detail", "reason", "hint"}`` with its status; anything unexpected becomes a 500 with the same
shape and no traceback. Image GETs are public and cacheable (ETag + 304; versioned URLs are
immutable); writes need a bearer token.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from . import urls
from .foundation.errors import (
    AvatarError,
    FailureReason,
    Forbidden,
    GenerationError,
    InvalidInput,
    Unauthorized,
)
from .foundation.imaging import MAX_UPLOAD_BYTES
from .foundation.models import Agent, AvatarVersion, Job
from .service import AvatarService, ImageFile
from .tokens import Role

__all__ = ["create_api"]

log = logging.getLogger("avatar_core.api")

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
# Multipart boundaries, part headers and the prompt field on top of the image itself.
_FORM_OVERHEAD = 64 * 1024


# --- request bodies -----------------------------------------------------------------------

class AgentIn(BaseModel):
    name: str = Field(max_length=200)
    display_name: str = Field(default="", max_length=200)
    type: str = "other"
    description: str = Field(default="", max_length=2000)
    avatar_prompt: str | None = Field(default=None, max_length=2000)
    is_system: bool = False


class AgentPatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    type: str | None = None
    description: str | None = Field(default=None, max_length=2000)
    avatar_prompt: str | None = Field(default=None, max_length=2000)
    is_system: bool | None = None


class ActivityIn(BaseModel):
    started_at: datetime
    ended_at: datetime | None = None
    kind: str
    status: str
    summary: str = Field(default="", max_length=500)


class GenerateIn(BaseModel):
    identity_prompt: str = Field(max_length=5000)


class TokenIn(BaseModel):
    name: str = Field(max_length=100)
    role: Literal["editor"] = "editor"


# --- shapes -------------------------------------------------------------------------------

def agent_json(agent: Agent) -> dict[str, Any]:
    return {
        "name": agent.name,
        "display_name": agent.display_name,
        "type": agent.type,
        "description": agent.description,
        "is_system": agent.is_system,
        "avatar_url": AvatarService.avatar_url(agent),
        "has_avatar": agent.has_avatar,
        "is_default_avatar": agent.is_default_avatar,
    }


def generation_json(service: AvatarService, name: str, version: AvatarVersion) -> dict[str, Any]:
    agent = service.get_agent(name)
    return {
        "agent_name": agent.name,
        "identity_prompt": version.identity_prompt,
        "updated_at": version.created_at.isoformat(),
        "version": version.id,
        "avatar_url": AvatarService.avatar_url(agent),
    }


def version_json(version: AvatarVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "created_at": version.created_at.isoformat(),
        "identity_prompt": version.identity_prompt,
        "provider": version.provider,
        "model": version.model,
        "is_default": version.is_default,
        "current": version.current,
    }


def job_errors_json(job: Job) -> list[dict[str, str]]:
    return [{"agent": e.agent, "reason": e.reason, "message": e.message} for e in job.errors]


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "generated": job.generated,
        "failed": job.failed,
        "skipped": job.skipped,
        "errors": job_errors_json(job),
        "summary": job.summary,
        "status_url": urls.job_url(job.id),
    }


def error_json(exc: AvatarError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": exc.detail}
    if isinstance(exc, GenerationError):
        body["reason"] = exc.reason.value
        body["hint"] = exc.reason.hint
    return body


def is_versioned(image: ImageFile, v: str | None) -> bool:
    """A ``?v=`` that names this image's digest (8+ hex digits) may be cached forever."""
    return v is not None and len(v) >= 8 and image.digest.startswith(v)


def not_modified(etag: str, if_none_match: str | None) -> bool:
    return bool(if_none_match) and (
        if_none_match == "*" or etag in [t.strip() for t in if_none_match.split(",")])


def image_response(request: Request, image: ImageFile, *, versioned: bool) -> Response:
    etag = f'"{image.digest}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE if versioned else REVALIDATE}
    if not_modified(etag, request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return Response(content=image.data, media_type=image.media_type, headers=headers)


class HotAvatars:
    """ASGI fast path for ``GET /agents/{name}/avatar`` when the image is hot in memory.

    Every dashboard view asks for every agent's avatar, mostly to hear 304; routing, dependency
    injection and a Response object cost far more than the answer itself. Same headers and
    statuses as ``get_avatar``; anything else (cold image, other paths) goes to the app.
    """

    def __init__(self, app: ASGIApp, get_service: Callable[[], AvatarService]) -> None:
        self.app = app
        self.get_service = get_service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            if path.startswith("/agents/") and path.endswith("/avatar"):
                name = path[8:-7]
                image = self.get_service().cached_avatar(name) if "/" not in name else None
                if image is not None:
                    await self._answer(scope, send, image)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    async def _answer(scope: Scope, send: Send, image: ImageFile) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        versioned = is_versioned(image, (query.get("v") or [None])[-1])
        etag = f'"{image.digest}"'
        match = next((value.decode("latin-1") for key, value in scope["headers"]
                      if key == b"if-none-match"), None)
        headers = [(b"etag", etag.encode()),
                   (b"cache-control", (IMMUTABLE if versioned else REVALIDATE).encode())]
        if not_modified(etag, match):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers += [(b"content-type", image.media_type.encode()),
                    (b"content-length", str(len(image.data)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": image.data})


# --- the app ------------------------------------------------------------------------------

def create_api(get_service: Callable[[], AvatarService]) -> FastAPI:
    """The API over whichever service ``get_service`` returns (the shared one in production)."""
    api = FastAPI(
        title="Agent Avatars API",
        version="1.0",
        description="Avatars for the agents of the platform. Image GETs are public; writes "
                    "need `Authorization: Bearer <token>`.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    api.add_middleware(HotAvatars, get_service=get_service)

    def service() -> AvatarService:
        return get_service()

    Service = Annotated[AvatarService, Depends(service)]

    def bearer(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    def require(role: Role) -> Callable[..., Role]:
        def check(request: Request, svc: Service) -> Role:
            if svc.tokens.demo_mode:
                raise Unauthorized("API writes are disabled: no admin token is configured. Set "
                                   "AVATARS_ADMIN_TOKEN and restart the server")
            granted = svc.tokens.role_of(bearer(request))
            if granted is None:
                raise Unauthorized("Send a valid token: Authorization: Bearer <token>")
            if role == "admin" and granted != "admin":
                raise Forbidden("This needs the admin token")
            return granted

        return check

    Editor = Annotated[Role, Depends(require("editor"))]
    Admin = Annotated[Role, Depends(require("admin"))]

    # --- errors: the one place they become responses ---

    @api.exception_handler(AvatarError)
    async def avatar_error(_request: Request, exc: AvatarError) -> JSONResponse:
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, GenerationError) and exc.reason is FailureReason.RATE_LIMITED:
            headers["Retry-After"] = str(max(1, round(exc.retry_after or 5)))
        return JSONResponse(error_json(exc), status_code=exc.status, headers=headers)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if exc.status_code != 404 else "Not found: no such API endpoint"
        return JSONResponse({"detail": detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()) if p != 'body') or 'body'}: "
            f"{err.get('msg', 'invalid')}" for err in exc.errors())
        return JSONResponse({"detail": f"Malformed request: {problems}",
                             "errors": _plain(exc.errors())}, status_code=422)

    @api.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("Unexpected API error: %s", type(exc).__name__)
        reason = FailureReason.UNKNOWN
        return JSONResponse({"detail": "Internal error", "reason": reason.value,
                             "hint": reason.hint}, status_code=500)

    # --- health ---

    @api.get("/health", tags=["meta"])
    def health(svc: Service) -> dict[str, Any]:
        return {"status": "ok", "provider": svc.active_provider_label(),
                "demo_mode": svc.tokens.demo_mode}

    # --- agents ---

    @api.get("/agents", tags=["agents"])
    def list_agents(svc: Service) -> list[dict[str, Any]]:
        return [agent_json(a) for a in svc.list_agents()]

    @api.post("/agents", status_code=201, tags=["agents"])
    def register_agent(body: AgentIn, svc: Service, _role: Editor) -> dict[str, Any]:
        return agent_json(svc.register_agent(**body.model_dump()))

    @api.post("/agents/avatars/generate-defaults", tags=["avatars"], status_code=202,
              responses={200: {"description": "With ?wait=true: the finished job's summary"}})
    def generate_defaults(svc: Service, _role: Admin,
                          wait: bool = Query(False, description="Block until done")) -> Response:
        job = svc.generate_defaults(wait=wait)
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

    @api.get("/agents/{name}", tags=["agents"])
    def get_agent(name: str, svc: Service) -> dict[str, Any]:
        return agent_json(svc.get_agent(name))

    @api.patch("/agents/{name}", tags=["agents"])
    def patch_agent(name: str, body: AgentPatch, svc: Service, _role: Editor) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        new_name = changes.pop("name", None)
        return agent_json(svc.update_agent(name, new_name=new_name, **changes))

    @api.delete("/agents/{name}", tags=["agents"])
    def delete_agent(name: str, svc: Service, _role: Editor) -> dict[str, Any]:
        svc.delete_agent(name)
        return {"deleted": name}

    @api.post("/agents/{name}/activities", status_code=201, tags=["agents"])
    def add_activity(name: str, body: ActivityIn, svc: Service, _role: Editor) -> dict[str, Any]:
        item = svc.record_activity(name, **body.model_dump())
        return {"id": item.id, "agent_name": item.agent_name,
                "started_at": item.started_at.isoformat(),
                "ended_at": item.ended_at.isoformat() if item.ended_at else None,
                "kind": item.kind, "status": item.status, "summary": item.summary}

    # --- avatar images (public) ---

    @api.get("/agents/{name}/avatar", tags=["avatars"], response_class=Response,
             responses={200: {"content": {"image/webp": {}}}, 304: {"description": "Unchanged"}})
    async def get_avatar(name: str, request: Request, svc: Service,
                         v: str | None = None) -> Response:
        # Hot images are answered by HotAvatars before routing; this is the cold path.
        image = await run_in_threadpool(svc.avatar_image, name)
        return image_response(request, image, versioned=is_versioned(image, v))

    @api.get("/agents/{name}/avatar/reference", tags=["avatars"], response_class=Response,
             responses={200: {"content": {"image/png": {}}}})
    def get_reference(name: str, request: Request, svc: Service,
                      v: str | None = None) -> Response:
        image = svc.reference_image(name)
        return image_response(request, image, versioned=is_versioned(image, v))

    @api.get("/agents/{name}/avatar/emotions", tags=["emotions"])
    def get_emotions(name: str, svc: Service) -> dict[str, Any]:
        found = svc.emotions(name)
        return {
            "agent_name": found.agent_name,
            "emotions": found.emotions,
            "version": found.version,
            "pending": found.pending,
            "failed": found.failed,
            "urls": {e: urls.emotion_url(found, e) for e in found.emotions},
        }

    @api.get("/agents/{name}/avatar/emotion/{emotion}", tags=["emotions"],
             response_class=Response, responses={200: {"content": {"image/webp": {}}}})
    def get_emotion(name: str, emotion: str, request: Request, svc: Service,
                    k: str | None = None) -> Response:
        image = svc.emotion_image(name, emotion)
        return image_response(request, image, versioned=k is not None and k == image.key)

    # --- avatar writes ---

    @api.post("/agents/{name}/avatar/generate", tags=["avatars"], openapi_extra={
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": GenerateIn.model_json_schema()},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["identity_prompt"],
                "properties": {
                    "identity_prompt": {"type": "string", "maxLength": 500},
                    "reference_image": {"type": "string", "format": "binary"}}}}}}})
    async def generate(name: str, request: Request, svc: Service,
                       _role: Editor) -> dict[str, Any]:
        prompt, reference = await _read_generate_body(request)
        version = await run_in_threadpool(svc.generate, name, prompt, reference)
        return await run_in_threadpool(generation_json, svc, name, version)

    @api.post("/agents/{name}/avatar/regenerate", tags=["avatars"])
    def regenerate(name: str, svc: Service, _role: Editor) -> dict[str, Any]:
        return generation_json(svc, name, svc.regenerate(name))

    @api.delete("/agents/{name}/avatar", tags=["avatars"])
    def remove_avatar(name: str, svc: Service, _role: Editor) -> dict[str, Any]:
        removed = svc.remove_avatar(name)
        return {"agent_name": name, "removed": removed}

    @api.get("/agents/{name}/avatar/identity", tags=["avatars"])
    def identity(name: str, svc: Service, _role: Editor) -> dict[str, Any]:
        return svc.identity(name)

    @api.get("/agents/{name}/avatar/versions", tags=["avatars"])
    def versions(name: str, svc: Service) -> list[dict[str, Any]]:
        return [version_json(v) for v in svc.versions(name)]

    @api.post("/agents/{name}/avatar/versions/{version_id}/restore", tags=["avatars"])
    def restore(name: str, version_id: int, svc: Service, _role: Editor) -> dict[str, Any]:
        return generation_json(svc, name, svc.restore(name, version_id))

    # --- jobs and tokens ---

    @api.get("/jobs/{job_id}", tags=["jobs"])
    def get_job(job_id: int, svc: Service, _role: Editor) -> dict[str, Any]:
        return job_json(svc.job(job_id))

    @api.post("/tokens", status_code=201, tags=["tokens"])
    def create_token(body: TokenIn, svc: Service, _role: Admin) -> dict[str, Any]:
        info, secret = svc.tokens.create(body.name, body.role)
        return {"id": info.id, "name": info.name, "role": info.role, "token": secret}

    @api.get("/tokens", tags=["tokens"])
    def list_tokens(svc: Service, _role: Admin) -> list[dict[str, Any]]:
        return [{"id": t.id, "name": t.name, "role": t.role,
                 "created_at": t.created_at.isoformat(), "revoked": t.revoked}
                for t in svc.tokens.list()]

    @api.delete("/tokens/{token_id}", tags=["tokens"])
    def revoke_token(token_id: int, svc: Service, _role: Admin) -> dict[str, Any]:
        svc.tokens.revoke(token_id)
        return {"id": token_id, "revoked": True}

    @api.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def unknown(path: str) -> Response:
        raise StarletteHTTPException(404)

    return api


async def _read_generate_body(request: Request) -> tuple[str, bytes | None]:
    """JSON ``{identity_prompt}``, or a form (multipart when it carries ``reference_image``)."""
    content_type = request.headers.get("content-type", "")
    too_big = f"The reference image is over the {MAX_UPLOAD_BYTES // (1024 * 1024)} MB limit"
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        # Refuse an oversized upload before spooling it, when the client says how big it is.
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + _FORM_OVERHEAD:
            raise InvalidInput(too_big)
        try:
            # ``async with`` closes the spooled upload files when we are done with them.
            async with request.form(max_files=1, max_fields=5,
                                    max_part_size=64 * 1024) as form:
                prompt = form.get("identity_prompt")
                upload = form.get("reference_image")
                reference = None
                if upload is not None and not isinstance(upload, str):
                    reference = await upload.read(MAX_UPLOAD_BYTES + 1)
        except Exception as exc:
            problem = getattr(exc, "detail", None) or exc
            raise InvalidInput(f"Could not read the multipart body: {problem}") from None
        if reference is not None and len(reference) > MAX_UPLOAD_BYTES:
            raise InvalidInput(too_big)
        if isinstance(upload, str) and upload:
            raise InvalidInput("reference_image must be a file upload")
        if not isinstance(prompt, str):
            raise InvalidInput("identity_prompt is required (1-500 characters)")
        return prompt, reference
    body = await request.body()
    if not body.strip():
        raise InvalidInput("The request body is empty: send JSON {\"identity_prompt\": \"...\"} "
                           "or a multipart form")
    try:
        parsed = GenerateIn.model_validate_json(body)
    except ValidationError as exc:
        # The same 422 FastAPI gives any other endpoint's malformed body.
        raise RequestValidationError(
            [{**err, "loc": ("body", *err.get("loc", ()))} for err in exc.errors()]) from None
    return parsed.identity_prompt, None


def _plain(errors: Any) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
             "type": str(e.get("type", ""))} for e in errors]


