"""What the API accepts: one pydantic model per request body, and the date-time it reads.

Request models bound every string generously (a cap against abuse); the product's own checks
then answer the precise 400 with the real limit.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from avatar_core import (
    DESCRIPTION_MAX_CHARS,
    DISPLAY_NAME_MAX_CHARS,
    PROMPT_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    TOKEN_NAME_MAX_CHARS,
)

__all__ = ["ActivityIn", "AgentIn", "AgentPatch", "GenerateIn", "IsoDateTime", "TokenIn"]

_CAP = DISPLAY_NAME_MAX_CHARS  # names and enum-like fields: far above any valid value


def _text_time(value: Any) -> Any:
    """Refuse numbers: pydantic would read ``0.5`` as half a second after 1970, and the
    document promises an ISO 8601 date-time."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date-time such as 2026-01-01T10:00:00Z")
    return value


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
IsoDateTime = Annotated[datetime, BeforeValidator(_text_time)]
"""A date-time sent as ISO 8601 text (never a Unix timestamp)."""


class AgentIn(BaseModel):
    name: str = Field(max_length=_CAP)
    display_name: str = Field(default="", max_length=DISPLAY_NAME_MAX_CHARS)
    type: str = Field(default="other", max_length=_CAP)
    description: str = Field(default="", max_length=DESCRIPTION_MAX_CHARS)
    avatar_prompt: str | None = Field(default=None, max_length=4 * PROMPT_MAX_CHARS)
    is_system: bool = False


class AgentPatch(BaseModel):
    name: str | None = Field(default=None, max_length=_CAP)
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX_CHARS)
    type: str | None = Field(default=None, max_length=_CAP)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_CHARS)
    avatar_prompt: str | None = Field(default=None, max_length=4 * PROMPT_MAX_CHARS)
    is_system: bool | None = None


class ActivityIn(BaseModel):
    started_at: IsoDateTime
    ended_at: IsoDateTime | None = None
    kind: str = Field(max_length=_CAP)
    status: str = Field(max_length=_CAP)
    summary: str = Field(default="", max_length=SUMMARY_MAX_CHARS)


class GenerateIn(BaseModel):
    identity_prompt: str = Field(max_length=10 * PROMPT_MAX_CHARS)


class TokenIn(BaseModel):
    name: str = Field(max_length=TOKEN_NAME_MAX_CHARS)
    role: Literal["editor"] = "editor"
