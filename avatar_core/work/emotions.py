"""Emotion variants in the background: each pending row, claimed, drawn from its base avatar.

A variant is drawn by the provider that made its base avatar, from that avatar's reference
image. The provider's answer is kept on the row the moment it arrives (a crash after that never
pays for it again), the variant is shown with a quick WebP, and the perceptual search and the
renditions follow in the background. It is stored only if the base is still current when
done — checked once more when the call gets a provider slot, so variants queued for a replaced
avatar cost no call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from PIL import Image

from ..domain.agents import Agents
from ..domain.emotions import EMOTIONS, ClaimedVariant, EmotionVariants
from ..domain.versions import AvatarVersions
from ..foundation import imaging
from ..foundation.errors import FailureReason, GenerationError, to_generation_error
from ..foundation.models import AvatarVersion, Emotion
from ..foundation.pricing import CallKind
from ..foundation.prompts import emotion_prompt
from ..providers.base import GeneratedImage, ImageRequest
from ..storage.images import ImageFiles
from ..storage.schema import emotion_variants
from .budget import BudgetSpent
from .generation import Generation
from .limiter import Limiter
from .queue import Task
from .retry import RetryPolicy, Stopped

__all__ = ["NO_PICTURE_EMOTIONS", "EmotionWork", "Release"]

NO_PICTURE_EMOTIONS = ("This avatar is an uploaded picture: the built-in renderer draws robots and "
                       "cannot vary it. Add a Gemini key to get its eight emotions.")

Release = Callable[[sa.Table, dict[str, Any], datetime], None]
"""Parks a claimed row, still pending, until the given moment or until the budget has room."""


class _StaleBase(Exception):
    """The avatar an emotion was queued for is no longer current."""

    passthrough = True  # control flow, not a provider failure: the retry loop lets it through


class EmotionWork:
    """The work source for emotion variants."""

    def __init__(self, agents: Agents, variants: EmotionVariants, versions: AvatarVersions,
                 files: ImageFiles, generation: Generation, limiter: Limiter,
                 policy: RetryPolicy, stopping: threading.Event, release: Release) -> None:
        self.agents = agents
        self.release = release
        self.variants = variants
        self.versions = versions
        self.files = files
        self.generation = generation
        self.limiter = limiter
        self.policy = policy
        self.stopping = stopping

    def ensure(self, agent_id: int, *, retry_transient: bool = False) -> int:
        """Make sure the current avatar's 8 variants exist or are pending; returns how many are."""
        version = self.versions.current_of(agent_id)
        if version is None or not self.drawable(version):
            return 0
        return self.variants.plan(agent_id, version, retry_transient=retry_transient)

    def picture_price(self) -> float:
        """What an uploaded picture's eight emotions cost now (0.0 when none would be drawn:
        the built-in renderer cannot vary a picture)."""
        active = self.generation.providers.active_or_none()
        if active is None or active.name == self.generation.providers.builtin.name:
            return 0.0
        return len(EMOTIONS) * self.generation.price(active)

    def drawable(self, version: AvatarVersion) -> bool:
        """Whether any provider can draw this avatar's emotions (an uploaded picture with only
        the built-in renderer cannot)."""
        try:
            return self.generation.providers.for_version(version) is not None
        except GenerationError:
            return True  # drawable, but failing now (e.g. no key): the variants say why

    def retry(self, agent_id: int, emotion: Emotion) -> bool:
        """A failed variant of the current avatar back to pending; False if none failed."""
        version = self.versions.current_of(agent_id)
        return version is not None and self.variants.retry(agent_id, version, emotion)

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Task]:
        return [Task(emotion_variants, {"agent_id": v.agent_id, "key": v.key},
                     lambda v=v: self._draw(v))  # type: ignore[misc]
                for v in self.variants.claim(owner, lease_s, limit)]

    def _draw(self, variant: ClaimedVariant) -> None:
        version = self._current_base(variant)
        if version is None:
            self._discard(variant)
            return
        try:
            reference_blob, reference, image = self._reference(variant, version)
            display = imaging.quick_display_webp(image)
        except _StaleBase:
            self._discard(variant)
            return
        except BudgetSpent as spent:
            self.release(emotion_variants, {"agent_id": variant.agent_id, "key": variant.key},
                         spent.resumes_at)
            return  # background work pauses; the variant is drawn when the budget allows
        except Stopped:
            return  # the row stays pending and is drawn after the restart
        except Exception as exc:
            self.variants.fail(variant, to_generation_error(exc))
            return
        if self.stopping.is_set():
            return  # the row stays pending (its lease lapses) and is drawn after the restart
        self._store(variant, reference_blob, reference, display)

    def _reference(self, variant: ClaimedVariant,
                   version: AvatarVersion) -> tuple[str, bytes, Image.Image]:
        """(blob, bytes, pixels) of the variant's reference PNG: the provider's answer, kept on
        the row the moment it arrives (before any encode), or kept there by a run that died
        after it."""
        if variant.delivered is not None:
            data = self.files.read(variant.delivered)
            return variant.delivered, data, imaging.decode_stored(data)
        reference, image = imaging.provider_reference(self._call(variant, version).data)
        with self.files.lock:
            blob = self.files.put(reference, "png")
            self.variants.deliver(variant, blob)
        return blob, reference, image

    def _call(self, variant: ClaimedVariant, version: AvatarVersion) -> GeneratedImage:
        provider = self.generation.providers.for_version(version)
        if provider is None:
            raise GenerationError(FailureReason.NOT_CONFIGURED,
                                  "Emotions of an uploaded picture need Gemini: add a key")
        request = ImageRequest(
            kind="emotion", agent_name=self._agent_name(variant),
            identity_prompt=version.identity_prompt,
            prompt=emotion_prompt(version.image_prompt, variant.emotion),
            seed=version.seed, reference=self.files.read(version.reference_blob),
            style_image=self.files.read(version.style_blob) if version.style_blob else None,
            emotion=variant.emotion)

        def still_current(call: Callable[[], GeneratedImage]) -> GeneratedImage:
            def guarded() -> GeneratedImage:
                if self._current_base(variant) is None:
                    raise _StaleBase()
                return call()

            return self.limiter.run(guarded)

        return self.generation.call(provider, request, self.policy, run=still_current,
                                    kind=CallKind.EMOTION, stopping=self.stopping)

    def _store(self, variant: ClaimedVariant, reference_blob: str, reference: bytes,
               display: bytes) -> None:
        """Show the variant at once with its quick WebP; the searched one and the renditions
        follow in the background (``renditions``)."""
        with self.files.lock:
            if self._current_base(variant) is None:  # the base changed while we worked
                self._discard(variant, reference_blob)
                return
            display_blob = self.files.put(display, "webp")
            self.variants.finish(variant, display_blob=display_blob, reference_blob=reference_blob)
        self.generation.serving.plan(reference_blob, reference, polish=True)

    def _discard(self, variant: ClaimedVariant, *blobs: str) -> None:
        """Drop a variant that would never be shown, and the provider bytes it kept (a run
        that died after delivery left them on the row) unless another row names them."""
        with self.files.lock:
            kept = self.variants.discard(variant)
            self.files.delete_unreferenced([*kept, *blobs])

    def _current_base(self, variant: ClaimedVariant) -> AvatarVersion | None:
        version = self.versions.current_of(variant.agent_id)
        if version is None or version.reference_blob != variant.base_blob:
            return None
        return version

    def _agent_name(self, variant: ClaimedVariant) -> str:
        agent = self.agents.by_id(variant.agent_id)
        return agent.name if agent is not None else str(variant.agent_id)
