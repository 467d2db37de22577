"""The ``renditions`` table: which sizes and formats of a source image exist, or are pending.

A row is keyed by (source blob, side, format). ``done`` rows name the rendition's blob;
``pending`` rows are background items (AVIF, the ladder's common sizes, an emotion's polished
WebP), claimed with leases like every other. Rows go with their source (``storage.images``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.clock import utcnow
from ..foundation.renditions import ImageFormat
from ..storage.cluster import insert_ignoring_duplicates
from ..storage.leases import claim
from ..storage.schema import renditions

__all__ = ["PENDING", "Rendition", "RenditionRows"]

PENDING, DONE, FAILED = "pending", "done", "failed"
_table = renditions


@dataclass(frozen=True)
class Rendition:
    """One rendition: of which source, at which side, in which format."""

    source_blob: str
    side: int
    format: ImageFormat

    @property
    def key(self) -> dict[str, object]:
        return {"source_blob": self.source_blob, "side": self.side, "format": self.format.value}


class RenditionRows:
    """Reads and writes ``renditions``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def state(self, wanted: Rendition) -> tuple[str, str | None] | None:
        """(status, blob) of ``wanted``, or None when nobody asked for it yet."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(_table.c.status, _table.c.blob).where(
                *(_table.c[k] == v for k, v in wanted.key.items()))).first()
        return None if row is None else (row.status, row.blob)

    def pending(self) -> int:
        """How many renditions are still to be made (tests and benches wait on it)."""
        with self.engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(_table)
                                   .where(_table.c.status == PENDING)) or 0)

    def plan(self, wanted: Iterable[Rendition]) -> int:
        """Pending rows for those of ``wanted`` nobody asked for yet; returns how many."""
        rows = [{**w.key, "status": PENDING, "updated_at": utcnow()} for w in wanted]
        if not rows:
            return 0
        with self.engine.begin() as conn:
            insert_ignoring_duplicates(conn, _table, rows)
        return len(rows)

    def record(self, made: Rendition, blob: str) -> None:
        """``made`` is done as ``blob`` (made on a request, or by the worker holding its row).

        A row whose source was collected meanwhile comes back, and goes again with the next
        garbage collection (its source is not in use)."""
        with self.engine.begin() as conn:
            updated = conn.execute(_table.update().where(
                *(_table.c[k] == v for k, v in made.key.items()))
                .values(status=DONE, blob=blob, owner=None, lease_until=None,
                        updated_at=utcnow())).rowcount
            if not updated:
                insert_ignoring_duplicates(conn, _table, [{
                    **made.key, "status": DONE, "blob": blob, "updated_at": utcnow()}])

    def fail(self, made: Rendition) -> None:
        """``made`` cannot be made (its source is gone or undecodable): never claimed again."""
        with self.engine.begin() as conn:
            conn.execute(_table.update().where(*(_table.c[k] == v for k, v in made.key.items()))
                         .values(status=FAILED, owner=None, lease_until=None,
                                 updated_at=utcnow()))

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Rendition]:
        rows = claim(self.engine, _table, where=_table.c.status == PENDING,
                     order_by=[_table.c.updated_at, _table.c.side], owner=owner,
                     lease_s=lease_s, limit=limit)
        return [Rendition(r.source_blob, r.side, ImageFormat(r.format)) for r in rows]
