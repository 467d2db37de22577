"""ASGI fast path for ``GET /agents/{name}/avatar`` when the image is hot in memory.

Every dashboard view asks for every agent's avatar, mostly to hear 304; routing, dependency
injection and a Response object cost far more than the answer itself. Same headers and statuses
as the ``get_avatar`` route (both use ``caching``); anything else goes on to the app.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from avatar_core import AvatarService, ImageFile

from .caching import cache_headers, is_versioned, not_modified
from .scope import avatar_name, header, relative_path

__all__ = ["HotAvatars"]


class HotAvatars:
    """Answers hot avatar GETs before routing; cold images, other paths go to the app."""

    def __init__(self, app: ASGIApp, get_service: Callable[[], AvatarService]) -> None:
        self.app = app
        self.get_service = get_service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            name = avatar_name(relative_path(scope))
            image = self.get_service().images.cached(name) if name is not None else None
            if image is not None:
                await _answer(scope, send, image)
                return
        await self.app(scope, receive, send)


async def _answer(scope: Scope, send: Send, image: ImageFile) -> None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    headers = cache_headers(image, versioned=is_versioned(image, (query.get("v") or [None])[-1]))
    match = header(scope, b"if-none-match")
    raw = [(key.lower().encode(), value.encode()) for key, value in headers.items()]
    if not_modified(image, match):
        await send({"type": "http.response.start", "status": 304, "headers": raw})
        await send({"type": "http.response.body", "body": b""})
        return
    raw += [(b"content-type", image.media_type.encode()),
            (b"content-length", str(len(image.data)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": raw})
    await send({"type": "http.response.body", "body": image.data})
