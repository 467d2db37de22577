"""ETag, Cache-Control and 304 for image answers: one helper for the routes and the fast path.

An image URL carrying its digest (``?v=``) or stable emotion key (``?k=``) names bytes that never
change, so it is served ``immutable``; the unversioned URL revalidates on every use and answers
304 when the browser already has the bytes.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from avatar_core import ImageFile

__all__ = ["IMMUTABLE", "REVALIDATE", "cache_headers", "image_response", "is_versioned",
           "not_modified"]

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"


def is_versioned(image: ImageFile, v: str | None) -> bool:
    """A ``?v=`` that names this image's digest (8+ hex digits) may be cached forever."""
    return v is not None and len(v) >= 8 and image.digest.startswith(v)


def not_modified(image: ImageFile, if_none_match: str | None) -> bool:
    """The browser's ``If-None-Match`` already names this image."""
    etag = f'"{image.digest}"'
    return bool(if_none_match) and (
        if_none_match == "*" or etag in [t.strip() for t in (if_none_match or "").split(",")])


def cache_headers(image: ImageFile, *, versioned: bool) -> dict[str, str]:
    return {"ETag": f'"{image.digest}"', "Cache-Control": IMMUTABLE if versioned else REVALIDATE}


def image_response(request: Request, image: ImageFile, *, versioned: bool) -> Response:
    headers = cache_headers(image, versioned=versioned)
    if not_modified(image, request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return Response(content=image.data, media_type=image.media_type, headers=headers)
