"""Image files under content-addressed names, written atomically.

A blob's name is ``<sha256>.<ext>``; it lives in ``<root>/<first two hex>/``. Writes go to a
temp file in the same directory, are fsynced, then renamed into place, so a crash leaves either
nothing or a whole file — never a half-written image under a real name. Temp files share the
``.tmp-`` prefix so a restart can sweep them.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .foundation.keys import digest

__all__ = ["TEMP_PREFIX", "BlobStore"]

TEMP_PREFIX = ".tmp-"
_NAME = re.compile(r"^[0-9a-f]{64}\.(webp|png)$")


class BlobStore:
    """Content-addressed image files in one directory tree."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """Where blob ``name`` lives; refuses anything that is not a blob name."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a blob name: {name!r}")
        return self.root / name[:2] / name

    def put(self, data: bytes, ext: str) -> str:
        """Store ``data`` (idempotent) and return its blob name."""
        name = f"{digest(data)}.{ext}"
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

    def names(self) -> Iterator[str]:
        """Every stored blob name."""
        for sub in self.root.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                for item in sub.iterdir():
                    if _NAME.fullmatch(item.name):
                        yield item.name

    def sweep_temp_files(self) -> int:
        """Remove temp files a crash left behind; returns how many."""
        count = 0
        for item in self.root.rglob(f"{TEMP_PREFIX}*"):
            item.unlink(missing_ok=True)
            count += 1
        return count


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
