"""API tokens: the admin token from the environment, editor tokens created by the admin.

Editor secrets are random (32 bytes), shown once, and stored only as sha256 hashes; a hash of a
high-entropy secret needs no slow KDF. Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.clock import utcnow
from ..foundation.errors import BadRequest, Forbidden, NotFound
from ..foundation.limits import TOKEN_NAME_MAX_CHARS
from ..storage.database import inserted_id
from ..storage.schema import tokens
from .auth_failures import AuthFailures

__all__ = ["DEMO_NO_TOKENS", "Role", "TokenInfo", "TokenStore"]

Role = Literal["admin", "editor"]
_PREFIX = "aav_"
DEMO_NO_TOKENS = ("Editor tokens can only be created when an admin token is configured: set "
                  "AVATARS_ADMIN_TOKEN and restart the server")


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str
    created_at: datetime
    revoked: bool


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """Creates, lists, revokes and checks bearer tokens; ``failures`` counts wrong ones."""

    def __init__(self, engine: Engine, admin_token: str | None) -> None:
        self.engine = engine
        self.admin_token = admin_token
        self.failures = AuthFailures(engine)

    @property
    def demo_mode(self) -> bool:
        """No admin token configured: UI admin actions open, API writes refused."""
        return not self.admin_token

    def is_admin(self, secret: str | None) -> bool:
        return bool(self.admin_token and secret and
                    hmac.compare_digest(secret.encode(), self.admin_token.encode()))

    def role_of(self, secret: str | None) -> Role | None:
        """The role a bearer secret grants, or None."""
        if not secret or self.demo_mode:
            return None
        if self.is_admin(secret):
            return "admin"
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tokens.c.role, tokens.c.revoked_at)
                               .where(tokens.c.token_hash == _hash(secret))).first()
        if row is None or row.revoked_at is not None:
            return None
        return "editor"

    def create(self, name: str, role: str = "editor") -> tuple[TokenInfo, str]:
        """A new editor token; the secret is returned here and never again.

        Refused in demo mode: a token minted while anyone may act as admin would stay valid
        once an admin token is configured, and nobody could say who minted it.
        """
        if self.demo_mode:
            raise Forbidden(DEMO_NO_TOKENS)
        name = (name or "").strip()
        if not name or len(name) > TOKEN_NAME_MAX_CHARS:
            raise BadRequest(f"Token name must be 1-{TOKEN_NAME_MAX_CHARS} characters")
        if role != "editor":
            raise BadRequest("Only editor tokens can be created; the admin token comes from "
                             "AVATARS_ADMIN_TOKEN")
        secret = _PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            new_id = inserted_id(conn.execute(tokens.insert().values(
                name=name, role=role, token_hash=_hash(secret), created_at=utcnow()
            )))
        return self.get(new_id), secret

    def get(self, token_id: int) -> TokenInfo:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(tokens).where(tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound("Token not found")
        return TokenInfo(row.id, row.name, row.role, row.created_at, row.revoked_at is not None)

    def list(self) -> list[TokenInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(tokens).order_by(tokens.c.id)).all()
        return [TokenInfo(r.id, r.name, r.role, r.created_at, r.revoked_at is not None)
                for r in rows]

    def revoke(self, token_id: int) -> None:
        self.get(token_id)
        with self.engine.begin() as conn:
            conn.execute(tokens.update().where(tokens.c.id == token_id,
                                               tokens.c.revoked_at.is_(None))
                         .values(revoked_at=utcnow()))
