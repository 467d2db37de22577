"""The one clock of the product: timezone-aware UTC, so stored and compared times agree."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)
