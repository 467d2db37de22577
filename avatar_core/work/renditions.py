"""Renditions in the background: each pending row, claimed, resized and encoded at the slow effort.

These are the AVIF files (never encoded while someone waits for a hot image), the ladder's
common sizes, and an emotion's display WebP searched at libwebp's slowest method, which then
replaces the quick one the variant was first shown with. Rendition work runs only when nothing
else does (``idle_only``): faces and expressions a person is waiting for come first.
"""

from __future__ import annotations

import logging
import threading

from ..domain.emotions import EmotionVariants
from ..domain.renditions import Rendition, RenditionRows
from ..foundation import imaging
from ..foundation.imaging import DISPLAY_MAX_SIDE, Effort
from ..foundation.renditions import ImageFormat, render
from ..storage.images import ImageFiles
from ..storage.schema import renditions
from .queue import Task
from .serving import ImageServing

__all__ = ["RenditionWork"]

log = logging.getLogger("avatar_core.renditions")


class RenditionWork:
    """The work source for renditions."""

    idle_only = True

    def __init__(self, rows: RenditionRows, files: ImageFiles, variants: EmotionVariants,
                 serving: ImageServing, stopping: threading.Event) -> None:
        self.rows = rows
        self.stopping = stopping
        self.files = files
        self.variants = variants
        self.serving = serving

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Task]:
        return [Task(renditions, r.key, lambda r=r: self._make(r), idle_only=True)  # type: ignore[misc]
                for r in self.rows.claim(owner, lease_s, limit)]

    def _make(self, wanted: Rendition) -> None:
        try:
            image = imaging.decode_stored(self.files.read(wanted.source_blob))
            data = render(image, wanted.side, wanted.format, Effort.BACKGROUND)
        except Exception:  # a source gone or undecodable: never retried in a loop
            log.exception("Rendition %s failed", wanted.key)
            self.rows.fail(wanted)
            return
        if self.stopping.is_set():
            return  # shutting down: the row stays pending (its lease lapses)
        # The row is recorded last: once nothing is pending, every blob is where it belongs.
        with self.files.lock:
            blob = self.files.put(data, wanted.format.value)
            if (wanted.format is ImageFormat.WEBP
                    and wanted.side == min(DISPLAY_MAX_SIDE, max(image.size))):
                self.files.delete_unreferenced(self.variants.polish(wanted.source_blob, blob))
            self.rows.record(wanted, blob)
        self.serving.made(wanted)
