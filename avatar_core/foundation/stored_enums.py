"""Enums for values the product stores: one written by another version reads back whole.

A value this version does not know (a newer release's state, an older one's reason) is kept as
it is, as google-genai's enums keep an unknown value, instead of failing the read.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

__all__ = ["StoredEnum"]


class StoredEnum(StrEnum):
    """A ``StrEnum`` whose unknown values become members named after them (not members of
    ``list(cls)``: the known values stay the enum)."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member
