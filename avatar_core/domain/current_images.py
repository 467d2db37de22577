"""The images an agent shows now: its display avatar (hot in memory), reference and emotions.

Every dashboard view asks for every agent's avatar, so display images are kept in memory by
agent name and dropped on every change that can alter which image is current (``changed``).
A read that raced a change is not cached: ``_generation`` tells.
"""

from __future__ import annotations

import threading

from ..foundation.errors import BadRequest, NotFound
from ..foundation.models import Emotion, EmotionSet, ImageFile, quote
from ..storage.images import ImageFiles
from .agents import Agents
from .emotions import EmotionVariants
from .versions import AvatarVersions

__all__ = ["CurrentImages", "check_emotion"]

_MAX_HOT = 2000  # agents kept hot; beyond it the cache starts over (a fleet is smaller)


def check_emotion(emotion: str) -> str:
    """``emotion`` if it is one of the eight; 400 (naming them) otherwise."""
    if emotion not in set(Emotion):
        raise BadRequest(f"Unknown emotion {quote(emotion)}; use one of: {', '.join(Emotion)}")
    return emotion


class CurrentImages:
    """Reads (and caches) the current images of agents."""

    def __init__(self, agents: Agents, versions: AvatarVersions, variants: EmotionVariants,
                 files: ImageFiles) -> None:
        self.agents = agents
        self.versions = versions
        self.variants = variants
        self.files = files
        self._hot: dict[str, ImageFile] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def avatar(self, name: str) -> ImageFile:
        """The current display WebP; ``NotFound`` without an avatar."""
        hot = self._hot.get(name)
        if hot is not None:
            return hot
        seen = self._generation
        version = self.versions.current_of(self.agents.get(name).id)
        if version is None:
            raise NotFound("This agent has no avatar")
        found = self.files.file(version.display_blob)
        with self._lock:
            if len(self._hot) >= _MAX_HOT:
                self._hot.clear()
            if seen == self._generation:
                self._hot[name] = found
        return found

    def cached(self, name: str) -> ImageFile | None:
        """The hot display image, if this process has served it since the last change."""
        return self._hot.get(name)

    def changed(self) -> None:
        """Something that decides which image is current changed: forget the hot ones."""
        with self._lock:
            self._generation += 1
            self._hot.clear()

    def reference(self, name: str) -> ImageFile:
        version = self.versions.current_of(self.agents.get(name).id)
        if version is None:
            raise NotFound("This agent has no avatar")
        return self.files.file(version.reference_blob)

    def emotions(self, name: str) -> EmotionSet:
        agent = self.agents.get(name)
        return self.variants.set_for(agent, self.versions.current_of(agent.id))

    def emotion(self, name: str, emotion: str) -> ImageFile:
        """One emotion variant's WebP; 400 for a name outside the eight, 404 if not ready."""
        check_emotion(emotion)
        found = self.emotions(name)
        if emotion not in found.emotions:
            raise NotFound(f"The {emotion} variant is not available (yet)")
        return self.files.file(found.blobs[emotion], key=found.keys[emotion])
