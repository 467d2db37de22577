"""Image blobs under content-addressed names: the one seam between rows and image bytes.

A blob's name is ``<sha256>.<ext>``; equal bytes get equal names, so a write is idempotent and a
name can be served with an immutable cache header. Two stores implement ``BlobStore``: files under
the data directory (the default) and any S3-compatible object store (``s3_blobs``).

Local writes go to a temp file in the target directory, are fsynced, then renamed into place, so a
crash leaves either nothing or a whole file — never a half-written image under a real name. Temp
files share the ``.tmp-`` prefix so a restart can sweep them.

This module is the only place that knows how a blob name is spelled (``is_blob_name``,
``digest_of``, ``media_type_of``).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ..foundation.keys import digest

__all__ = [
    "TEMP_PREFIX",
    "BlobStore",
    "LocalBlobStore",
    "blob_name",
    "check_blob_name",
    "digest_of",
    "is_blob_name",
    "media_type_of",
]

TEMP_PREFIX = ".tmp-"
_NAME = re.compile(r"^[0-9a-f]{64}\.(webp|png|avif)$")
_MEDIA_TYPES = {"webp": "image/webp", "png": "image/png", "avif": "image/avif"}


def blob_name(data: bytes, ext: str) -> str:
    """The content address of ``data`` stored as ``ext`` (``webp``, ``png`` or ``avif``)."""
    return check_blob_name(f"{digest(data)}.{ext}")


def is_blob_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name))


def check_blob_name(name: str) -> str:
    """``name`` if it is a blob name; refuses anything else before it can reach a path or key."""
    if not is_blob_name(name):
        raise ValueError(f"not a blob name: {name[:80]!r}")
    return name


def digest_of(name: str) -> str:
    """The sha256 hex digest a blob name carries (its ETag and URL version)."""
    return check_blob_name(name).split(".", 1)[0]


def media_type_of(name: str) -> str:
    return _MEDIA_TYPES[check_blob_name(name).rsplit(".", 1)[1]]


class BlobStore(Protocol):
    """Where image bytes live; every method takes or returns blob names."""

    def put(self, data: bytes, ext: str) -> str:
        """Store ``data`` (idempotent) and return its blob name; durable when this returns."""
        ...

    def read(self, name: str) -> bytes:
        """The bytes of ``name``; ``FileNotFoundError`` when there is no such blob."""
        ...

    def exists(self, name: str) -> bool: ...

    def delete(self, name: str) -> None:
        """Remove ``name``; nothing happens when it is already gone."""
        ...

    def names(self, older_than_s: float = 0.0) -> Iterator[str]:
        """Every stored blob name last written more than ``older_than_s`` seconds ago.

        The age filter lets garbage collection skip blobs another process has just written and
        not yet named in a committed row.
        """
        ...

    def sweep_temp_files(self) -> int:
        """Remove partial writes a crash left behind; returns how many."""
        ...


class LocalBlobStore:
    """Content-addressed image files in one directory tree: ``<root>/<first two hex>/<name>``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path(self, name: str) -> Path:
        """Where blob ``name`` lives; refuses anything that is not a blob name."""
        check_blob_name(name)
        return self.root / name[:2] / name

    def put(self, data: bytes, ext: str) -> str:
        name = blob_name(data, ext)
        target = self.path(name)
        if target.exists():
            return name
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return name

    def read(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def names(self, older_than_s: float = 0.0) -> Iterator[str]:
        cutoff = time.time() - older_than_s
        for sub in self.root.iterdir():
            if not (sub.is_dir() and len(sub.name) == 2):
                continue
            for item in sub.iterdir():
                if not is_blob_name(item.name):
                    continue
                if older_than_s <= 0 or _mtime(item) < cutoff:
                    yield item.name

    def sweep_temp_files(self) -> int:
        count = 0
        for item in self.root.rglob(f"{TEMP_PREFIX}*"):
            item.unlink(missing_ok=True)
            count += 1
        return count


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")  # deleted meanwhile: never a candidate


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
