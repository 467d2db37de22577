"""Settings changed at run time (the Gemini key, the provider choice), kept in the database.

Stored here rather than in a file so that every replica sees the same choice at once.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .schema import settings_kv

__all__ = ["SavedSettings"]

_CHECKPOINT_TRIES = 100


class SavedSettings:
    """A small name → text store; ``None`` means "not saved"."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            value = conn.scalar(sa.select(settings_kv.c.value).where(settings_kv.c.name == name))
        return None if value is None else str(value)

    def forget_old_pages(self) -> None:
        """Make overwritten values unrecoverable from the database file (SQLite keeps old pages
        in its write-ahead log until a checkpoint; ``secure_delete`` zeroes freed ones)."""
        if self.engine.dialect.name != "sqlite":
            return
        for _ in range(_CHECKPOINT_TRIES):  # a reader of an older snapshot makes it wait
            with self.engine.connect() as conn:
                busy, *_ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy:
                return
            time.sleep(0.02)

    def set(self, name: str, value: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(settings_kv.delete().where(settings_kv.c.name == name))
            if value is not None:
                conn.execute(settings_kv.insert().values(name=name, value=value))
