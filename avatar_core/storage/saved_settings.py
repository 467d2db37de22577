"""Settings changed at run time (the Gemini key, the provider choice), kept in the database.

Stored here rather than in a file so that every replica sees the same choice at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .schema import settings_kv

__all__ = ["SavedSettings"]


class SavedSettings:
    """A small name → text store; ``None`` means "not saved"."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            value = conn.scalar(sa.select(settings_kv.c.value).where(settings_kv.c.name == name))
        return None if value is None else str(value)

    def set(self, name: str, value: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(settings_kv.delete().where(settings_kv.c.name == name))
            if value is not None:
                conn.execute(settings_kv.insert().values(name=name, value=value))
