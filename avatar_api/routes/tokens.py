"""Editor tokens: created by the admin (the secret shown once), listed, revoked."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import Admin, RowId, ServiceDep
from ..error_statuses import errors
from ..inputs import TokenIn
from ..models import TokenCreatedOut, TokenOut, TokenRevokedOut

router = APIRouter(tags=["tokens"])


@router.post("/tokens", status_code=201, response_model=TokenCreatedOut,
             responses=errors(400, 401, 403, 413, 422))
def create_token(body: TokenIn, service: ServiceDep, _role: Admin) -> TokenCreatedOut:
    return TokenCreatedOut.of(*service.tokens.create(body.name, body.role))


@router.get("/tokens", response_model=list[TokenOut], responses=errors(401, 403))
def list_tokens(service: ServiceDep, _role: Admin) -> list[TokenOut]:
    return [TokenOut.of(t) for t in service.tokens.list()]


@router.delete("/tokens/{token_id}", response_model=TokenRevokedOut,
               responses=errors(401, 403, 404, 413, 422))
def revoke_token(token_id: RowId, service: ServiceDep, _role: Admin) -> TokenRevokedOut:
    service.tokens.revoke(token_id)
    return TokenRevokedOut(id=token_id, revoked=True)
