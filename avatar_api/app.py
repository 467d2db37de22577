"""The FastAPI app: routers by resource, the error handlers, the hot-avatar fast path."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI, Request
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

    @api.api_route("/{path:path}", methods=_ANY_METHOD, include_in_schema=False)
    def unknown(path: str, request: Request) -> Response:
        """404 for a path no operation has; 405 naming the allowed methods for one it has."""
        allowed = _methods_at(api.openapi()["paths"], request.url.path.removeprefix(
            request.scope.get("root_path", "")))
        if allowed:
            raise StarletteHTTPException(405, headers={"Allow": ", ".join(allowed)})
        raise StarletteHTTPException(404)

    return api


_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def _methods_at(paths: dict[str, dict[str, object]], path: str) -> list[str]:
    """The documented methods of the most specific operation templates ``path`` fills (the
    fewest parameters: ``/agents/import`` is that path, not ``/agents/{name}``)."""
    matches: dict[int, set[str]] = {}
    for template, operations in paths.items():
        pieces = re.split(r"\{[^}/]+\}", template)
        if re.fullmatch("[^/]+".join(re.escape(piece) for piece in pieces), path):
            matches.setdefault(len(pieces), set()).update(m.upper() for m in operations)
    return sorted(matches[min(matches)]) if matches else []
