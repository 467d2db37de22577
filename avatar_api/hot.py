"""ASGI fast path for ``GET /agents/{name}/avatar`` when the asked image is hot in memory.

Every dashboard view asks for every agent's avatar, mostly to hear 304; routing, dependency
injection and a Response object cost far more than the answer itself. What a request asks for
(``?v=``, ``?size=``, ``?format=`` and ``Accept``) is read once per distinct query and header
and remembered, so a hot answer stays a few dictionary lookups. Same headers and statuses as
the ``get_avatar`` route (both use ``caching``); anything else — a cold image, a bad size, other
paths — goes on to the app.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from avatar_core import SIZE_MAX, SIZE_MIN, Ask, AvatarService, ImageFile, ImageFormat, negotiate

from .caching import cache_headers, is_versioned, not_modified
from .scope import avatar_name, header, relative_path

__all__ = ["HotAvatars"]

_MAX_ASKS = 4096  # distinct (query, Accept) pairs remembered; a dashboard uses a handful
_Asked = tuple[Ask, str | None] | None  # (what is asked, ?v=), or None: leave it to the app


class HotAvatars:
    """Answers hot avatar GETs before routing; cold images, other paths go to the app."""

    def __init__(self, app: ASGIApp, get_service: Callable[[], AvatarService]) -> None:
        self.app = app
        self.get_service = get_service
        self._asks: dict[tuple[bytes, bytes | None], _Asked] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            name = avatar_name(relative_path(scope))
            asked = self._asked(scope) if name is not None else None
            image = (self.get_service().serving.cached_avatar(name, asked[0])
                     if name is not None and asked is not None else None)
            if asked is not None and image is not None:
                await _answer(scope, send, image, asked)
                return
        await self.app(scope, receive, send)

    def _asked(self, scope: Scope) -> _Asked:
        query: bytes = scope.get("query_string", b"")
        accept = next((value for key, value in scope["headers"] if key == b"accept"), None)
        try:
            return self._asks[query, accept]
        except KeyError:
            pass
        asked = _read(query.decode("latin-1"), None if accept is None else accept.decode("latin-1"))
        if len(self._asks) >= _MAX_ASKS:
            self._asks.clear()
        self._asks[query, accept] = asked
        return asked


def _read(query_string: str, accept: str | None) -> _Asked:
    query = parse_qs(query_string)
    size_text, format_text, v = (_last(query, name) for name in ("size", "format", "v"))
    try:
        size = None if size_text is None else int(size_text)
        fmt = None if format_text is None else ImageFormat(format_text)
    except ValueError:
        return None  # the route answers the one 422 body
    if size is not None and not SIZE_MIN <= size <= SIZE_MAX:
        return None
    chosen, negotiated = negotiate(accept, fmt)
    return Ask.of(size, chosen, negotiated), v


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


async def _answer(scope: Scope, send: Send, image: ImageFile, asked: tuple[Ask, str | None]
                  ) -> None:
    ask, v = asked
    headers = cache_headers(image, versioned=is_versioned(image, v), vary=ask.negotiated)
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
