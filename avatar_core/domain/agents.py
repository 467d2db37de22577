"""Agents: registration, lookup, edits and renames, with every field checked on the way in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..foundation.clock import utcnow
from ..foundation.errors import BadRequest, Conflict, NotFound
from ..foundation.limits import DESCRIPTION_MAX_CHARS, DISPLAY_NAME_MAX_CHARS
from ..foundation.models import AGENT_TYPES, Agent, quote, validate_name
from ..foundation.prompts import validate_prompt
from ..storage.blobs import digest_of
from ..storage.schema import agents, avatar_versions

__all__ = ["Agents"]



def _nothing() -> None:
    """No one listens yet."""


class Agents:
    """The ``agents`` table; an agent's avatars hang off its id, so renames carry them along."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.on_change: Callable[[], None] = _nothing
        """Called after every committed change of which image an agent shows (``CurrentImages``
        listens: its hot images are kept by agent name)."""

    def list(self) -> list[Agent]:
        with self.engine.connect() as conn:
            rows = conn.execute(_query().order_by(agents.c.name)).all()
        return [_agent(row) for row in rows]

    def get(self, name: str) -> Agent:
        """The agent called ``name``; ``BadRequest`` for a non-slug, ``NotFound`` if unknown."""
        validate_name(name)
        with self.engine.connect() as conn:
            row = conn.execute(_query().where(agents.c.name == name)).first()
        if row is None:
            raise NotFound("Agent not found")
        return _agent(row)

    def by_id(self, agent_id: int) -> Agent | None:
        """The agent with this id, or None (it may have been deleted meanwhile)."""
        with self.engine.connect() as conn:
            row = conn.execute(_query().where(agents.c.id == agent_id)).first()
        return None if row is None else _agent(row)

    def ids_by_name(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {str(name): int(agent_id) for name, agent_id
                    in conn.execute(sa.select(agents.c.name, agents.c.id))}

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(agents)) or 0)

    def register(self, name: str, display_name: str = "", type: str = "other",
                 description: str = "", avatar_prompt: str | None = None,
                 is_system: bool = False) -> Agent:
        validate_name(name)
        fields = checked_fields(display_name or name, type, description, avatar_prompt)
        taken = Conflict(f"An agent named {name!r} already exists")
        try:
            with self.engine.begin() as conn:
                if conn.scalar(sa.select(agents.c.id).where(agents.c.name == name)) is not None:
                    raise taken
                conn.execute(agents.insert().values(name=name, is_system=bool(is_system),
                                                    created_at=utcnow(), **fields))
        except IntegrityError:  # registered at the same moment by another request
            raise taken from None
        return self.get(name)

    def update(self, name: str, *, new_name: str | None = None,
               display_name: str | None = None, type: str | None = None,
               description: str | None = None, avatar_prompt: str | None = None,
               is_system: bool | None = None) -> Agent:
        """Edit or rename; ``None`` keeps a field as it is."""
        current = self.get(name)
        target = validate_name(new_name) if new_name is not None else current.name
        fields = checked_fields(
            current.display_name if display_name is None else display_name or target,
            current.type if type is None else type,
            current.description if description is None else description,
            current.avatar_prompt if avatar_prompt is None else avatar_prompt,
        )
        if is_system is not None:
            fields["is_system"] = bool(is_system)
        taken = Conflict(f"An agent named {target!r} already exists")
        try:
            with self.engine.begin() as conn:
                if target != current.name and conn.scalar(
                        sa.select(agents.c.id).where(agents.c.name == target)) is not None:
                    raise taken
                conn.execute(agents.update().where(agents.c.id == current.id)
                             .values(name=target, **fields))
        except IntegrityError:  # the new name was taken at the same moment
            raise taken from None
        self.on_change()
        return self.get(target)

    def delete(self, agent_id: int) -> None:
        """Remove the agent; its versions, emotion variants and activities go with it (cascade)."""
        with self.engine.begin() as conn:
            conn.execute(agents.delete().where(agents.c.id == agent_id))
        self.on_change()


def checked_fields(display_name: str, type: str, description: str,
                   avatar_prompt: str | None) -> dict[str, Any]:
    """The editable fields of an agent, validated and normalised for storage."""
    if type not in AGENT_TYPES:
        raise BadRequest(f"Unknown agent type {quote(str(type))}; use one of: "
                         f"{', '.join(AGENT_TYPES)}")
    display = (display_name or "").strip()
    if not display or len(display) > DISPLAY_NAME_MAX_CHARS:
        raise BadRequest(f"Display name must be 1-{DISPLAY_NAME_MAX_CHARS} characters")
    if len(description or "") > DESCRIPTION_MAX_CHARS:
        raise BadRequest(f"Description must be at most {DESCRIPTION_MAX_CHARS} characters")
    prompt = (avatar_prompt or "").strip() or None
    return {"display_name": display, "type": type, "description": (description or "").strip(),
            "avatar_prompt": validate_prompt(prompt) if prompt is not None else None}


def _query() -> sa.Select[Any]:
    return sa.select(
        agents,
        avatar_versions.c.display_blob.label("current_blob"),
        avatar_versions.c.is_default.label("current_is_default"),
    ).select_from(agents.outerjoin(
        avatar_versions, avatar_versions.c.id == agents.c.current_version_id))


def _agent(row: sa.Row[Any]) -> Agent:
    blob = row.current_blob
    return Agent(
        id=row.id, name=row.name, display_name=row.display_name, type=row.type,
        description=row.description or "", avatar_prompt=row.avatar_prompt,
        is_system=bool(row.is_system), current_version_id=row.current_version_id,
        current_digest=digest_of(blob) if blob else None,
        is_default_avatar=bool(row.current_is_default) if blob else False,
    )
