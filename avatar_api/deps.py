"""The dependencies every route shares, written once: the service and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path, Request

from avatar_core import AvatarService, Forbidden, Role, Unauthorized

__all__ = ["ROW_ID_MAX", "Admin", "AgentName", "Editor", "MaybeEditor", "RowId", "ServiceDep",
           "authenticate", "bearer_token", "screen_token"]


def _service(request: Request) -> AvatarService:
    service: AvatarService = request.app.state.get_service()
    return service


ServiceDep = Annotated[AvatarService, Depends(_service)]

# No ``pattern`` here on purpose: the product checks the slug itself and answers 400 with the
# rule, where a pattern would make FastAPI answer a 422 that quotes the whole input.
AgentName = Annotated[str, Path(description="The agent's slug: ^[a-z0-9][a-z0-9_-]{0,62}$",
                                examples=["atlas"])]

ROW_ID_MAX = 2**63 - 1
"""The largest id a row can have (SQLite's INTEGER, PostgreSQL's BIGINT): a larger one is
refused as malformed before it reaches the database."""
RowId = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="A row id", examples=[1])]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, value = (authorization or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(service: AvatarService, authorization: str | None) -> Role:
    """The role an ``Authorization`` header grants; 401 without a valid token or in demo mode."""
    if service.tokens.demo_mode:
        raise Unauthorized("API writes are disabled: no admin token is configured. Set "
                           "AVATARS_ADMIN_TOKEN and restart the server")
    granted = service.tokens.role_of(bearer_token(authorization))
    if granted is None:
        raise Unauthorized("Send a valid token: Authorization: Bearer <token>")
    return granted


def screen_token(service: AvatarService, client: str, authorization: str) -> None:
    """For a request that carries credentials: 429 while ``client`` is shut out after a burst
    of failures (the token is not looked at then); else a token that grants nothing is counted
    as one failure of that address. Demo mode checks no token, so it counts none."""
    if service.tokens.demo_mode:
        return
    service.tokens.failures.check(client)
    if service.tokens.role_of(bearer_token(authorization)) is None:
        service.tokens.failures.record(client, "API token")


def _require(role: Role) -> Callable[[Request, AvatarService], Role]:
    def check(request: Request, service: ServiceDep) -> Role:
        granted = authenticate(service, request.headers.get("authorization"))
        if role == "admin" and granted != "admin":
            raise Forbidden("This needs the admin token")
        return granted

    return check


def _optional(request: Request, service: ServiceDep) -> Role | None:
    """The caller's role when it sent a valid token; None (not an error) otherwise."""
    if service.tokens.demo_mode:
        return None
    return service.tokens.role_of(bearer_token(request.headers.get("authorization")))


Editor = Annotated[Role, Depends(_require("editor"))]
MaybeEditor = Annotated[Role | None, Depends(_optional)]
Admin = Annotated[Role, Depends(_require("admin"))]
