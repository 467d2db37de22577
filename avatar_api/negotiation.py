"""What an image GET asks for: ``?size=``, ``?format=`` and ``Accept``, read once for every route.

The size is checked here (16-512, else the one 422 body); the format follows ``?format=`` or,
negotiated, ``Accept`` reduced to three buckets (``foundation.renditions.negotiate``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from avatar_core import SIZE_MAX, SIZE_MIN, Ask, ImageFormat, negotiate

__all__ = ["AskDep", "image_ask"]


def image_ask(
    request: Request,
    size: Annotated[int | None, Query(
        ge=SIZE_MIN, le=SIZE_MAX, description="Longest side in px, rounded up to 32, 48, 64, "
                                              "96, 128, 192, 256, 384 or 512 (never above the "
                                              "source)")] = None,
    fmt: Annotated[ImageFormat | None, Query(
        alias="format", description="avif, webp or png; without it the format follows "
                                    "Accept (AVIF, else WebP, else PNG)")] = None,
) -> Ask:
    chosen, negotiated = negotiate(request.headers.get("accept"), fmt)
    return Ask.of(size, chosen, negotiated)


AskDep = Annotated[Ask, Depends(image_ask)]
