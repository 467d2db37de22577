"""Image blobs as rows see them: written before the row that names them, deleted after the last.

The two invariants that keep the database and the blob store in agreement live here:

- a blob is written (durably) before any transaction that names it commits, so a row never names a
  missing or half-written image;
- a blob is deleted only when no row names it, checked under ``lock`` so a writer in this process
  cannot name it again between the check and the delete.

A crash between a write and its commit leaves an unnamed blob; ``collect_garbage`` removes those
at start-up. Its age filter keeps it from deleting a blob another process has just written.

Renditions (sizes and formats of an image) live and die with their source: a rendition's blob
is in use while its source blob is, and its row goes when the source does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.errors import NotFound
from ..foundation.models import ImageFile
from .blobs import BlobStore, digest_of, media_type_of
from .schema import BLOB_COLUMNS, renditions

__all__ = ["ImageFiles"]


class ImageFiles:
    """The blob store plus the reference checks that make deleting from it safe."""

    def __init__(self, engine: Engine, blobs: BlobStore) -> None:
        self.engine = engine
        self.blobs = blobs
        self.lock = threading.RLock()

    def put(self, data: bytes, ext: str) -> str:
        return self.blobs.put(data, ext)

    def read(self, name: str) -> bytes:
        return self.blobs.read(name)

    def file(self, name: str, key: str | None = None) -> ImageFile:
        """The blob as something to serve; ``NotFound`` if a row names a blob that is gone."""
        try:
            data = self.blobs.read(name)
        except FileNotFoundError:
            raise NotFound("Image file not found") from None
        return ImageFile(data=data, digest=digest_of(name), media_type=media_type_of(name),
                         key=key)

    def referenced(self, *, agent_id: int | None = None,
                   among: Iterable[str] | None = None) -> set[str]:
        """Blob names rows refer to: all, one agent's, or those of ``among`` still in use."""
        wanted = None if among is None else list(among)
        with self.engine.connect() as conn:
            names = self._named(conn, agent_id, wanted)
            if agent_id is None:  # renditions belong to no agent: they follow their source
                query = sa.select(renditions.c.source_blob, renditions.c.blob).where(
                    renditions.c.blob.is_not(None))
                if wanted is not None:
                    query = query.where(renditions.c.blob.in_(wanted))
                rows = conn.execute(query).all()
                live = names if wanted is None else (
                    self._named(conn, None, [r.source_blob for r in rows]) if rows else set())
                names.update(r.blob for r in rows if r.source_blob in live)
        return names

    @staticmethod
    def _named(conn: sa.Connection, agent_id: int | None, wanted: list[str] | None) -> set[str]:
        names: set[str] = set()
        for column in BLOB_COLUMNS:
            query = sa.select(column).distinct().where(column.is_not(None))
            if agent_id is not None:
                query = query.where(column.table.c.agent_id == agent_id)
            if wanted is not None:
                query = query.where(column.in_(wanted))
            names.update(conn.scalars(query))
        return names

    def _drop_renditions(self, sources: Iterable[str]) -> set[str]:
        """Forget the renditions of ``sources`` (no longer in use); returns their blobs."""
        wanted = list(sources)
        if not wanted:
            return set()
        with self.engine.begin() as conn:
            blobs = set(conn.scalars(sa.select(renditions.c.blob).where(
                renditions.c.source_blob.in_(wanted), renditions.c.blob.is_not(None))))
            conn.execute(renditions.delete().where(renditions.c.source_blob.in_(wanted)))
        return blobs

    def delete_unreferenced(self, candidates: Iterable[str]) -> None:
        """Delete those of ``candidates`` that no row names any more."""
        wanted = set(candidates)
        with self.lock:
            gone = wanted - self.referenced(among=wanted)
            gone |= self._drop_renditions(gone)
            for name in gone - self.referenced(among=gone):
                self.blobs.delete(name)

    def collect_garbage(self, older_than_s: float = 0.0) -> int:
        """Remove blobs no row names and older than ``older_than_s``; returns how many."""
        with self.lock:
            referenced = self.referenced()
            with self.engine.connect() as conn:
                sources = set(conn.scalars(sa.select(renditions.c.source_blob).distinct()))
            self._drop_renditions(sources - referenced)
            orphans = [n for n in self.blobs.names(older_than_s) if n not in referenced]
            for name in orphans:
                self.blobs.delete(name)
        return len(orphans)
