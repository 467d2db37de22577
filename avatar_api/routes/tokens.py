"""Editor tokens: created by the admin (the secret shown once), listed, revoked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..answers import errors
from ..deps import Admin, RowId, ServiceDep
from ..responses import TokenCreatedOut, TokenOut, TokenRevokedOut
from ..schemas import TokenIn

router = APIRouter(tags=["tokens"])


@router.post("/tokens", status_code=201, response_model=TokenCreatedOut,
             responses=errors(400, 401, 403, 413, 422))
def create_token(body: TokenIn, service: ServiceDep, _role: Admin) -> dict[str, Any]:
    info, secret = service.tokens.create(body.name, body.role)
    return {"id": info.id, "name": info.name, "role": info.role, "token": secret}


@router.get("/tokens", response_model=list[TokenOut], responses=errors(401, 403))
def list_tokens(service: ServiceDep, _role: Admin) -> list[dict[str, Any]]:
    return [{"id": t.id, "name": t.name, "role": t.role,
             "created_at": t.created_at.isoformat(), "revoked": t.revoked}
            for t in service.tokens.list()]


@router.delete("/tokens/{token_id}", response_model=TokenRevokedOut,
               responses=errors(401, 403, 404, 413, 422))
def revoke_token(token_id: RowId, service: ServiceDep, _role: Admin) -> dict[str, Any]:
    service.tokens.revoke(token_id)
    return {"id": token_id, "revoked": True}
