"""Stable cache keys: pure functions, so the same variant is never generated twice."""

from __future__ import annotations

import hashlib

__all__ = ["digest", "emotion_key", "seed_for"]


def digest(data: bytes) -> str:
    """Content address of a file: hex sha256."""
    return hashlib.sha256(data).hexdigest()


def emotion_key(
    base_digest: str, emotion: str, template_version: str, provider: str, model: str
) -> str:
    """Key of an emotion variant; changes when any input that shapes the image changes."""
    material = "\x1f".join((base_digest, emotion, template_version, provider, model))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def seed_for(*parts: str) -> int:
    """A deterministic 63-bit seed from text (never Python's salted ``hash()``)."""
    material = "\x1f".join(parts).encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:8], "big") >> 1
