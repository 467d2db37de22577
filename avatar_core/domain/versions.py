"""Avatar versions: every avatar an agent has had, and which one is current.

A version is added and made current in one transaction, so an agent always points at a whole
version; restoring is pointing back at an older one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.clock import utcnow
from ..foundation.errors import NotFound
from ..foundation.models import AvatarVersion
from ..foundation.prompts import TEMPLATE_VERSION
from ..storage.database import inserted_id
from ..storage.leases import Lease
from ..storage.schema import agents, avatar_versions

__all__ = ["AvatarVersions", "NewVersion"]


def _nothing() -> None:
    """No one listens yet."""


@dataclass(frozen=True)
class NewVersion:
    """What a generation produced and how, ready to be recorded (its blobs already written)."""

    identity_prompt: str
    provider: str
    model: str
    display_blob: str
    reference_blob: str
    style_blob: str | None
    seed: int
    is_default: bool = False
    default_fingerprint: str | None = None
    refined_prompt: str | None = None


class AvatarVersions:
    """The ``avatar_versions`` table and the agent's ``current_version_id``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.on_change: Callable[[], None] = _nothing
        """Called after every committed change of which image an agent shows (``CurrentImages``
        listens: its hot images are kept by agent name)."""

    def add_current(self, agent_id: int, new: NewVersion, lease: Lease | None = None) -> int:
        """Record ``new`` and make it current; ``NotFound`` if the agent is gone meanwhile,
        ``LeaseLost`` (nothing written) if ``lease`` is no longer ours."""
        try:
            version_id = self._add_current(agent_id, new, lease)
        except sa.exc.IntegrityError:  # deleted between our check and the insert
            raise NotFound("Agent not found") from None
        self.on_change()
        return version_id

    def _add_current(self, agent_id: int, new: NewVersion, lease: Lease | None) -> int:
        with self.engine.begin() as conn:
            if lease is not None:
                lease.check(conn)
            if conn.scalar(sa.select(agents.c.id).where(agents.c.id == agent_id)) is None:
                raise NotFound("Agent not found")
            version_id = inserted_id(conn.execute(avatar_versions.insert().values(
                agent_id=agent_id, identity_prompt=new.identity_prompt, provider=new.provider,
                model=new.model, display_blob=new.display_blob,
                reference_blob=new.reference_blob, style_blob=new.style_blob, seed=new.seed,
                is_default=new.is_default, default_fingerprint=new.default_fingerprint,
                refined_prompt=new.refined_prompt, template_version=TEMPLATE_VERSION,
                created_at=utcnow(),
            )))
            conn.execute(agents.update().where(agents.c.id == agent_id)
                         .values(current_version_id=version_id))
        return version_id

    def current_of(self, agent_id: int) -> AvatarVersion | None:
        """The agent's current version as of now (one query; None without an avatar)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(avatar_versions).join(
                agents, agents.c.current_version_id == avatar_versions.c.id)
                .where(agents.c.id == agent_id)).first()
        return None if row is None else _version(row, row.id)

    def get(self, agent_id: int, version_id: int) -> AvatarVersion:
        """Version ``version_id`` of this agent; ``NotFound`` for another agent's or none."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(avatar_versions).where(
                avatar_versions.c.id == version_id,
                avatar_versions.c.agent_id == agent_id)).first()
            current = conn.scalar(sa.select(agents.c.current_version_id)
                                  .where(agents.c.id == agent_id))
        if row is None:
            raise NotFound("Version not found")
        return _version(row, current)

    def of_agent(self, agent_id: int, current_id: int | None) -> list[AvatarVersion]:
        """Every version of the agent, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(avatar_versions)
                                .where(avatar_versions.c.agent_id == agent_id)
                                .order_by(avatar_versions.c.id.desc())).all()
        return [_version(row, current_id) for row in rows]

    def set_current(self, agent_id: int, version_id: int | None) -> None:
        """Point the agent at one of its versions, or at none (``None``)."""
        with self.engine.begin() as conn:
            if version_id is not None and conn.scalar(sa.select(avatar_versions.c.id).where(
                    avatar_versions.c.id == version_id,
                    avatar_versions.c.agent_id == agent_id)) is None:
                raise NotFound("Version not found")
            conn.execute(agents.update().where(agents.c.id == agent_id)
                         .values(current_version_id=version_id))
        self.on_change()

    def default_fingerprint(self, version_id: int) -> str | None:
        with self.engine.connect() as conn:
            value = conn.scalar(sa.select(avatar_versions.c.default_fingerprint)
                                .where(avatar_versions.c.id == version_id))
        return None if value is None else str(value)


def _version(row: sa.Row[Any], current_id: int | None) -> AvatarVersion:
    return AvatarVersion(
        id=row.id, agent_id=row.agent_id, identity_prompt=row.identity_prompt,
        provider=row.provider, model=row.model, display_blob=row.display_blob,
        reference_blob=row.reference_blob, style_blob=row.style_blob, seed=row.seed,
        is_default=bool(row.is_default), template_version=row.template_version,
        created_at=row.created_at, current=row.id == current_id,
        refined_prompt=row.refined_prompt)
