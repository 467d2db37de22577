"""The images an agent shows now: its display avatar (hot in memory), reference and emotions.

Every dashboard view asks for every agent's avatar, so display images are kept in memory by
agent name and dropped on every change that can alter which image is current (``changed``).
A read that raced a change is not cached: ``_generation`` tells. With several replicas a change
also moves the cluster's cache epoch, and returns only once every live replica has dropped its
hot images too (``storage.cluster.Replicas``), so the unversioned URL never serves an old face
after the change was answered; serving itself stays a dictionary lookup.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Hashable

from ..foundation.errors import BadRequest, NotFound
from ..foundation.models import Emotion, EmotionSet, ImageFile, quote
from ..storage.cluster import Replicas
from ..storage.images import ImageFiles
from .agents import Agents
from .emotions import EmotionVariants
from .versions import AvatarVersions

__all__ = ["CurrentImages", "check_emotion"]

_MAX_HOT = 2000  # agents kept hot; beyond it the cache starts over (a fleet is smaller)
_POLL_S = 0.05  # how often a replica looks at the cache epoch
_ACK_TIMEOUT_S = 3.0  # how long a change waits for the other replicas to drop their images
log = logging.getLogger("avatar_core.images")


def check_emotion(emotion: str) -> str:
    """``emotion`` if it is one of the eight; 400 (naming them) otherwise."""
    if emotion not in set(Emotion):
        raise BadRequest(f"Unknown emotion {quote(emotion)}; use one of: {', '.join(Emotion)}")
    return emotion


class CurrentImages:
    """Reads (and caches) the current images of agents."""

    def __init__(self, agents: Agents, versions: AvatarVersions, variants: EmotionVariants,
                 files: ImageFiles, replicas: Replicas | None = None) -> None:
        self.agents = agents
        self.versions = versions
        self.variants = variants
        self.files = files
        self.replicas = replicas  # None on a single node: nobody else holds hot images
        # Every write that changes which image is current tells us: renames and deletes of
        # agents, new and restored or removed versions.
        agents.on_change = versions.on_change = self.changed
        self._hot: dict[Hashable, ImageFile] = {}  # by name, or (name, size, format)
        self._generation = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

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
        self.remember(name, found, seen)
        return found

    @property
    def generation(self) -> int:
        """Moves on every change: read it before a lookup, hand it to ``remember``."""
        return self._generation

    def remember(self, key: Hashable, image: ImageFile, seen: int) -> None:
        """Keep ``image`` hot under ``key`` unless a change happened since ``seen``."""
        with self._lock:
            if len(self._hot) >= _MAX_HOT * 4:
                self._hot.clear()
            if seen == self._generation:
                self._hot[key] = image

    def cached(self, key: Hashable) -> ImageFile | None:
        """The hot image under ``key`` (a name: the display image), if this process has
        served it since the last change."""
        return self._hot.get(key)

    def changed(self) -> None:
        """Something that decides which image is current changed: forget the hot ones, here
        and — before this returns — on every other live replica."""
        self._forget()
        if self.replicas is None:
            return
        epoch = self.replicas.bump()
        self.replicas.beat(epoch)
        if not self.replicas.wait_all_seen(epoch, _ACK_TIMEOUT_S):
            log.warning("A replica did not confirm cache epoch %d in time", epoch)

    def _forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._hot.clear()

    def follow(self) -> None:
        """Start watching the cluster's cache epoch (several replicas only)."""
        if self.replicas is None or self._watcher is not None:
            return
        self.replicas.beat(self.replicas.epoch())
        self._watcher = threading.Thread(target=self._watch, name="avatar-cache-epoch",
                                         daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
        watcher, self._watcher = self._watcher, None
        if self.replicas is not None and watcher is not None:
            watcher.join(timeout=5)
            with contextlib.suppress(Exception):  # best effort: the database may be gone
                self.replicas.leave()

    def _watch(self) -> None:
        assert self.replicas is not None
        last_beat = time.monotonic()
        while not self._stop.wait(_POLL_S):
            try:
                epoch = self.replicas.epoch()
                if epoch != self.replicas.seen or time.monotonic() - last_beat > 1.0:
                    if epoch != self.replicas.seen:
                        self._forget()
                    self.replicas.beat(epoch)
                    last_beat = time.monotonic()
            except Exception:  # a database hiccup: keep watching
                log.exception("Watching the cache epoch failed; retrying")

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
