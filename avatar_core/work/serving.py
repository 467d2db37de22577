"""Every image GET's answer: the asked size and format of the right source, made once and kept.

An answer is the stored image itself when it already has the asked side and format (the
display WebP, a reference PNG); otherwise a rendition (``foundation.renditions``): looked up in
memory, then in ``renditions``; WebP and PNG are made on the spot the first time (a small
encode) and kept, while AVIF — several times slower — is left to the background and WebP
answered meanwhile, marked provisional so nobody caches it for good. Renditions are resized
from the reference (the provider's full image) where it is sharper than the display image.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..domain.current_images import CurrentImages, check_emotion
from ..domain.renditions import PENDING, Rendition, RenditionRows
from ..foundation import imaging
from ..foundation.errors import NotFound
from ..foundation.imaging import DISPLAY_MAX_SIDE, Effort
from ..foundation.keys import digest
from ..foundation.models import ImageFile
from ..foundation.renditions import ImageFormat, ladder_side, render
from ..storage.blobs import digest_of
from ..storage.images import ImageFiles
from .fallbacks import FallbackKind, fallback_image

__all__ = ["COMMON_SIDES", "Ask", "ImageServing", "common_renditions"]

COMMON_SIDES = (48, 64, 96, 128, 192, 256)
"""Made in AVIF in the background for every new avatar: the sizes the UI shows (tiles 72 px,
Agent Detail 56-256 px) and their 2x, and 48 px for the platform's lists. The small ones are
made in WebP too; larger WebP renditions are quick enough to make on the first request."""
EMOTION_SIDES = (64, 128, 256)
"""An emotion is shown in the strip (64 px) and as the large face (256 px), with their 2x."""
_SMALL = 128

_SHARPEST_SOURCE_MAX_SIDE = 2048
"""A larger reference (an upload) costs more to decode than the display image saves."""
_MAX_KEPT = 4000


@dataclass(frozen=True)
class Ask:
    """What a GET asked for: a ladder rung (None: the stored size) and a format."""

    rung: int | None
    format: ImageFormat
    negotiated: bool = True

    @classmethod
    def of(cls, size: int | None, fmt: ImageFormat, negotiated: bool) -> Ask:
        return cls(None if size is None else ladder_side(size, DISPLAY_MAX_SIDE), fmt, negotiated)


def common_renditions(source_blob: str, source_side: int, *, polish: bool) -> list[Rendition]:
    """The background renditions of a new image: AVIF at the common sides and the display
    side, WebP at the small ones; with ``polish`` (an emotion, shown first with a quick WebP)
    the display WebP searched at the slow effort comes first, and only the emotion sides."""
    display = min(DISPLAY_MAX_SIDE, source_side)
    sides = [side for side in (EMOTION_SIDES if polish else COMMON_SIDES) if side < display]
    wanted = [Rendition(source_blob, display, ImageFormat.WEBP)] if polish else []
    wanted += [Rendition(source_blob, side, ImageFormat.WEBP) for side in sides if side <= _SMALL]
    wanted += [Rendition(source_blob, side, ImageFormat.AVIF) for side in [*sides, display]]
    return wanted


class ImageServing:
    """Answers image GETs (avatar, emotion, version image, reference, fallback)."""

    def __init__(self, images: CurrentImages, files: ImageFiles,
                 kick: Callable[[], None]) -> None:
        self.images = images
        self.files = files
        self.rows = RenditionRows(files.engine)
        self.kick = kick  # background work was added: claim it now
        self._sides: dict[str, int] = {}
        self._made: dict[Rendition, ImageFile] = {}
        self._fallbacks: dict[tuple[str, str, int, ImageFormat], ImageFile] = {}
        self._lock = threading.Lock()

    def cached_avatar(self, name: str, ask: Ask) -> ImageFile | None:
        """The hot answer for this avatar and ask, if there is one (the ASGI fast path)."""
        return self.images.cached((name, ask.rung, ask.format))

    def avatar(self, name: str, ask: Ask) -> ImageFile:
        key = (name, ask.rung, ask.format)
        hot = self.images.cached(key)
        if hot is not None:
            return hot
        seen = self.images.generation
        version = self.images.versions.current_of(self.images.agents.get(name).id)
        if version is None:
            raise NotFound("This agent has no avatar")
        image = self._answer(version.reference_blob, version.display_blob, ask)
        if not image.provisional:
            self.images.remember(key, image, seen)
        return image

    def version_image(self, name: str, version_id: int, ask: Ask) -> ImageFile:
        agent = self.images.agents.get(name)
        version = self.images.versions.get(agent.id, version_id)
        return self._answer(version.reference_blob, version.display_blob, ask)

    def reference(self, name: str, ask: Ask | None) -> ImageFile:
        """The reference PNG as stored, or (asked a size or format) a rendition of it."""
        version = self.images.versions.current_of(self.images.agents.get(name).id)
        if version is None:
            raise NotFound("This agent has no avatar")
        if ask is None:
            return self.files.file(version.reference_blob)
        return self._answer(version.reference_blob, None, ask)

    def emotion(self, name: str, emotion: str, ask: Ask) -> ImageFile:
        check_emotion(emotion)
        found = self.images.emotions(name)
        if emotion not in found.emotions:
            raise NotFound(f"The {emotion} variant is not available (yet)")
        image = self._answer(found.sources[emotion], found.blobs[emotion], ask)
        return replace(image, key=found.keys[emotion])

    def fallback(self, name: str, kind: FallbackKind, ask: Ask) -> ImageFile:
        """The stand-in face of an agent without an avatar (NotFound for an unknown agent)."""
        agent = self.images.agents.get(name)
        side = ask.rung or DISPLAY_MAX_SIDE
        key = (f"{agent.name}|{agent.display_name}|{agent.is_system}", kind, side, ask.format)
        found = self._fallbacks.get(key)
        if found is None:
            data = fallback_image(agent, kind, side, ask.format)
            found = ImageFile(data=data, digest=digest(data),
                              media_type=ask.format.media_type, provisional=True)
            with self._lock:
                if len(self._fallbacks) >= _MAX_KEPT:
                    self._fallbacks.clear()
                self._fallbacks[key] = found
        return found

    def plan(self, reference_blob: str, reference: bytes, *, polish: bool) -> None:
        """Queue the background renditions of a new image (see ``common_renditions``).

        No kick: the worker finds them at its next look, by when a new avatar's emotions are
        queued too and go first (renditions wait while anything else runs)."""
        side = max(imaging.image_size(reference))
        self._sides[reference_blob] = side
        self.rows.plan(common_renditions(reference_blob, side, polish=polish))

    def made(self, rendition: Rendition) -> None:
        """A worker finished ``rendition``: forget what this process made for it meanwhile."""
        self._made.pop(rendition, None)

    # --- the answer ---------------------------------------------------------------------

    def _answer(self, source: str, display: str | None, ask: Ask) -> ImageFile:
        version = digest_of(display) if display else None
        source_side = self._side(source)
        stored, stored_format = (display, ImageFormat.WEBP) if display else (
            source, ImageFormat.PNG)
        stored_side = self._side(stored)
        side = stored_side if ask.rung is None else min(ask.rung, source_side)
        if side == stored_side and ask.format is stored_format:
            polishing = display is not None and self._pending(Rendition(source, side,
                                                                        ImageFormat.WEBP))
            return replace(self.files.file(stored), version=version, provisional=polishing)
        wanted = Rendition(source, side, ask.format)
        made = self._made.get(wanted) or self._stored(wanted)
        if made is None and ask.format is ImageFormat.AVIF:
            self.rows.plan([wanted])
            self.kick()
            webp = self._answer(source, display, replace(ask, format=ImageFormat.WEBP))
            return replace(webp, provisional=True)
        if made is None:
            made = self._make(wanted, display if display and self._too_big(source, display, side)
                              else source)
        return replace(made, version=version)

    def _stored(self, wanted: Rendition) -> ImageFile | None:
        state = self.rows.state(wanted)
        if state is None or state[0] == PENDING or state[1] is None:
            return None
        try:
            found = self.files.file(state[1])
        except NotFound:
            return None
        self._keep(wanted, found)
        return found

    def _make(self, wanted: Rendition, source: str) -> ImageFile:
        data = render(imaging.decode_stored(self.files.read(source)), wanted.side,
                      wanted.format, Effort.INTERACTIVE)
        with self.files.lock:
            blob = self.files.put(data, wanted.format.value)
            self.rows.record(wanted, blob)
        found = self.files.file(blob)
        self._keep(wanted, found)
        return found

    def _keep(self, wanted: Rendition, found: ImageFile) -> None:
        with self._lock:
            if len(self._made) >= _MAX_KEPT:
                self._made.clear()
            self._made[wanted] = found

    def _pending(self, wanted: Rendition) -> bool:
        if wanted in self._made:
            return False
        state = self.rows.state(wanted)
        return state is not None and state[0] == PENDING

    def _too_big(self, source: str, display: str, side: int) -> bool:
        return self._side(source) > _SHARPEST_SOURCE_MAX_SIDE and side <= self._side(display)

    def _side(self, blob: str) -> int:
        """The longest side of a stored image (blobs never change: read once)."""
        side = self._sides.get(blob)
        if side is None:
            side = self._sides[blob] = max(imaging.image_size(self.files.read(blob)))
        return side
