"""The dependencies every route shares, written once: the service and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from avatar_core.domain.tokens import Role
from avatar_core.foundation.errors import Forbidden, Unauthorized
from avatar_core.service import AvatarService

__all__ = ["Admin", "Editor", "ServiceDep", "bearer"]


def _service(request: Request) -> AvatarService:
    service: AvatarService = request.app.state.get_service()
    return service


ServiceDep = Annotated[AvatarService, Depends(_service)]


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _require(role: Role) -> Callable[[Request, AvatarService], Role]:
    def check(request: Request, service: ServiceDep) -> Role:
        if service.tokens.demo_mode:
            raise Unauthorized("API writes are disabled: no admin token is configured. Set "
                               "AVATARS_ADMIN_TOKEN and restart the server")
        granted = service.tokens.role_of(bearer(request))
        if granted is None:
            raise Unauthorized("Send a valid token: Authorization: Bearer <token>")
        if role == "admin" and granted != "admin":
            raise Forbidden("This needs the admin token")
        return granted

    return check


Editor = Annotated[Role, Depends(_require("editor"))]
Admin = Annotated[Role, Depends(_require("admin"))]
