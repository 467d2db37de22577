"""ETag, Cache-Control, Vary and 304 for image answers: one helper for the routes and the fast path.

An image URL carrying its digest (``?v=``) or stable emotion key (``?k=``) names bytes that never
change, so each of its representations (size, format) is served ``immutable``; the unversioned
URL revalidates on every use and answers 304 when the browser already has the bytes. Every
representation has its own ETag (the digest of its bytes). An answer standing in for one not
made yet (``provisional``) is never immutable, so the browser asks again; a negotiated answer
says ``Vary: Accept``. Fallback faces are cached for minutes only: the agent may get an avatar.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from avatar_core import ImageFile

__all__ = ["FALLBACK", "IMMUTABLE", "REVALIDATE", "cache_headers", "image_response",
           "is_versioned", "not_modified"]

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
FALLBACK = "public, max-age=300"


def is_versioned(image: ImageFile, v: str | None) -> bool:
    """A ``?v=`` that names this image's version digest (8+ hex digits) may be cached forever."""
    return v is not None and len(v) >= 8 and (image.version or image.digest).startswith(v)


def not_modified(image: ImageFile, if_none_match: str | None) -> bool:
    """The browser's ``If-None-Match`` already names this representation."""
    etag = f'"{image.digest}"'
    return bool(if_none_match) and (
        if_none_match == "*" or etag in [t.strip() for t in (if_none_match or "").split(",")])


def cache_headers(image: ImageFile, *, versioned: bool, vary: bool = False,
                  fallback: str | None = None) -> dict[str, str]:
    if fallback is not None:
        control = FALLBACK
    else:
        control = IMMUTABLE if versioned and not image.provisional else REVALIDATE
    headers = {"ETag": f'"{image.digest}"', "Cache-Control": control}
    if vary:
        headers["Vary"] = "Accept"
    if fallback is not None:
        headers["X-Avatar-Fallback"] = fallback
    return headers


def image_response(request: Request, image: ImageFile, *, versioned: bool, vary: bool = False,
                   fallback: str | None = None) -> Response:
    headers = cache_headers(image, versioned=versioned, vary=vary, fallback=fallback)
    if not_modified(image, request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return Response(content=image.data, media_type=image.media_type, headers=headers)
