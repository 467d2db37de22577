"""Emotion variants: eight expressions of the current avatar, each a row under its stable key.

A variant's key is a pure function of the base image, the emotion, the prompt template and the
provider/model (``keys.emotion_key``), so the same variant is never drawn twice and a new base
avatar gets new keys. Rows go pending → done | failed; workers claim pending rows with leases.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.clock import utcnow
from ..foundation.errors import FailureReason, GenerationError
from ..foundation.keys import emotion_key
from ..foundation.limits import MESSAGE_MAX_CHARS
from ..foundation.models import Agent, AvatarVersion, Emotion, EmotionSet, VariantStatus
from ..foundation.prompts import TEMPLATE_VERSION
from ..storage.blobs import digest_of
from ..storage.cluster import insert_ignoring_duplicates
from ..storage.leases import claim
from ..storage.schema import emotion_variants

__all__ = ["EMOTIONS", "ClaimedVariant", "EmotionVariants", "emotion_at", "emotion_keys"]

EMOTIONS: tuple[Emotion, ...] = tuple(Emotion)
_table = emotion_variants


def emotion_keys(version: AvatarVersion) -> dict[Emotion, str]:
    """The stable key of each emotion of ``version``, in canonical order."""
    base = digest_of(version.reference_blob)
    return {e: emotion_key(base, e.value, TEMPLATE_VERSION, version.provider, version.model)
            for e in EMOTIONS}


def emotion_at(tick: int, available: list[Emotion]) -> Emotion | None:
    """The emotion shown at cycle ``tick``: canonical order, no repeats; None = base avatar."""
    return available[tick % len(available)] if available else None


@dataclass(frozen=True)
class ClaimedVariant:
    """A pending variant this worker now holds the lease on."""

    agent_id: int
    key: str
    emotion: Emotion
    base_blob: str
    delivered: str | None = None  # the provider's image, kept before a crash could lose it
    owner: str = ""  # the claim's owner: a result is stored only while it is still ours


class EmotionVariants:
    """The ``emotion_variants`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def plan(self, agent_id: int, version: AvatarVersion, *, retry_transient: bool = False) -> int:
        """Make sure every variant of ``version`` has a row; returns how many are pending (none
        for an agent deleted meanwhile).

        With ``retry_transient``, variants that failed for a transient reason (rate limit,
        timeout, upstream error) are pending again.
        """
        try:
            return self._plan(agent_id, version, retry_transient)
        except sa.exc.IntegrityError:  # duplicates are ignored: the agent was deleted meanwhile
            return 0

    def _plan(self, agent_id: int, version: AvatarVersion, retry_transient: bool) -> int:
        keys = emotion_keys(version)
        now = utcnow()
        with self.engine.begin() as conn:
            rows = {r.key: r for r in conn.execute(sa.select(_table).where(
                _table.c.agent_id == agent_id, _table.c.key.in_(list(keys.values()))))}
            insert_ignoring_duplicates(conn, _table, [  # another replica may plan them too
                {"agent_id": agent_id, "key": key, "base_blob": version.reference_blob,
                 "emotion": emotion.value, "status": VariantStatus.PENDING, "updated_at": now}
                for emotion, key in keys.items() if key not in rows])
            for key, row in rows.items():
                if (retry_transient and row.status == VariantStatus.FAILED
                        and FailureReason(row.reason or "unknown").retryable):
                    conn.execute(_table.update().where(
                        _table.c.agent_id == agent_id, _table.c.key == key)
                        .values(status=VariantStatus.PENDING, reason=None, message=None,
                                updated_at=now))
            return int(conn.scalar(sa.select(sa.func.count()).select_from(_table).where(
                _table.c.agent_id == agent_id, _table.c.key.in_(list(keys.values())),
                _table.c.status == VariantStatus.PENDING)) or 0)

    def claim(self, owner: str, lease_s: float, limit: int) -> list[ClaimedVariant]:
        rows = claim(self.engine, _table, where=_table.c.status == VariantStatus.PENDING,
                     order_by=[_table.c.updated_at, _table.c.agent_id], owner=owner,
                     lease_s=lease_s, limit=limit)
        return [ClaimedVariant(r.agent_id, r.key, Emotion(r.emotion), r.base_blob,
                               r.reference_blob, owner)
                for r in rows]

    def finish(self, variant: ClaimedVariant, display_blob: str, reference_blob: str) -> bool:
        return self._update(variant, status=VariantStatus.DONE, display_blob=display_blob,
                     reference_blob=reference_blob, reason=None, message=None)

    def deliver(self, variant: ClaimedVariant, reference_blob: str) -> None:
        """Keep the provider's image on the pending row the moment it arrives: a crash after
        this never pays for it again (the next claim starts from it)."""
        with self.engine.begin() as conn:  # the lease stays: this worker carries on with it
            conn.execute(_table.update().where(
                _table.c.agent_id == variant.agent_id, _table.c.key == variant.key,
                _table.c.status == VariantStatus.PENDING).values(reference_blob=reference_blob))

    def polish(self, reference_blob: str, display_blob: str) -> list[str]:
        """The display WebP of every done variant drawn as ``reference_blob`` is now
        ``display_blob`` (the perceptual search's, replacing the quick one); the old blobs."""
        with self.engine.begin() as conn:
            where = (_table.c.reference_blob == reference_blob,
                     _table.c.status == VariantStatus.DONE, _table.c.display_blob != display_blob)
            old = list(conn.scalars(sa.select(_table.c.display_blob).where(*where)))
            conn.execute(_table.update().where(*where).values(display_blob=display_blob))
        return old

    def fail(self, variant: ClaimedVariant, error: GenerationError) -> None:
        self._update(variant, status=VariantStatus.FAILED, reason=error.reason.value,
                     message=error.detail[:MESSAGE_MAX_CHARS])

    def retry(self, agent_id: int, version: AvatarVersion, emotion: Emotion) -> bool:
        """A failed variant of ``version`` back to pending; False if it had not failed."""
        key = emotion_keys(version)[emotion]
        with self.engine.begin() as conn:
            result = conn.execute(_table.update().where(
                _table.c.agent_id == agent_id, _table.c.key == key,
                _table.c.status == VariantStatus.FAILED)
                .values(status=VariantStatus.PENDING, reason=None, message=None,
                        owner=None, lease_until=None, updated_at=utcnow()))
        return bool(result.rowcount)

    def discard(self, variant: ClaimedVariant) -> list[str]:
        """Drop a variant whose base avatar is no longer current: it would never be shown.
        Returns the provider image the row kept (delivered before a crash), now the caller's
        to delete if nothing else names it."""
        where = (_table.c.agent_id == variant.agent_id, _table.c.key == variant.key,
                 _table.c.status != VariantStatus.DONE)
        with self.engine.begin() as conn:
            kept = [b for b in conn.scalars(sa.select(_table.c.reference_blob).where(*where))
                    if b]
            conn.execute(_table.delete().where(*where))
        return kept

    def set_for(self, agent: Agent, version: AvatarVersion | None) -> EmotionSet:
        """Available variants in canonical order; ``version`` changes exactly with that set."""
        if version is None:
            return EmotionSet(agent_name=agent.name, emotions=[], version="none")
        keys = emotion_keys(version)
        with self.engine.connect() as conn:
            rows = {r.key: r for r in conn.execute(sa.select(_table).where(
                _table.c.agent_id == agent.id, _table.c.key.in_(list(keys.values()))))}
        done: list[Emotion] = []
        pending: list[Emotion] = []
        failed: list[dict[str, str]] = []
        blobs: dict[str, str] = {}
        sources: dict[str, str] = {}
        for emotion, key in keys.items():
            row = rows.get(key)
            if row is None or row.status == VariantStatus.PENDING:
                pending.append(emotion)
            elif row.status == VariantStatus.DONE:
                done.append(emotion)
                blobs[emotion], sources[emotion] = row.display_blob, row.reference_blob
            else:
                failed.append({"emotion": emotion.value, "reason": row.reason or "unknown"})
        material = version.reference_blob + "|" + ",".join(keys[e] for e in done)
        return EmotionSet(
            agent_name=agent.name, emotions=done,
            version=hashlib.sha256(material.encode()).hexdigest()[:16],
            pending=pending, failed=failed, keys={e.value: keys[e] for e in done}, blobs=blobs,
            sources=sources)

    def _update(self, variant: ClaimedVariant, **values: Any) -> bool:
        """Settle a claimed variant; False (nothing written) when another worker holds it now
        (our lease lapsed and it was claimed again) or it is settled already."""
        mine = _table.c.owner == variant.owner if variant.owner else sa.true()
        with self.engine.begin() as conn:
            return bool(conn.execute(_table.update().where(
                _table.c.agent_id == variant.agent_id, _table.c.key == variant.key,
                _table.c.status == VariantStatus.PENDING, mine)
                .values(owner=None, lease_until=None, updated_at=utcnow(), **values)).rowcount)
