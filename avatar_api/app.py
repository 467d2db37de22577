"""The FastAPI app: routers by resource, the error handlers, the hot-avatar fast path."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from avatar_core import AvatarService

from .errors import install_error_handlers
from .guard import RequestGuard
from .hot import HotAvatars
from .routes import agents, avatars, budget, emotions, health, jobs, tokens, versions

__all__ = ["create_api"]


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
    api.state.get_service = get_service
    api.add_middleware(HotAvatars, get_service=get_service)
    api.add_middleware(RequestGuard, get_service=get_service,  # outermost: runs first
                       operations=lambda: api.openapi()["paths"])
    install_error_handlers(api)
    for module in (health, agents, avatars, emotions, versions, jobs, tokens, budget):
        api.include_router(module.router)

    @api.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def unknown(path: str) -> Response:
        raise StarletteHTTPException(404)

    return api
