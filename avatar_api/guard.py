"""The one guard in front of every ``/api`` request: who is asking, how big the body is, and
no traceback ever.

- **Failed tokens are rate-limited.** Every request that carries an ``Authorization`` header
  is screened by client address (``deps.screen_token``): after a burst of wrong tokens, every
  such request from that address answers 429 with ``Retry-After`` until the window passes,
  whatever its token. The address is the ASGI client — behind nginx, the one uvicorn's proxy
  headers take from ``X-Forwarded-For`` when the peer is a trusted proxy (``FORWARDED_ALLOW_IPS``,
  loopback by default); a header from any other peer is ignored.
- **Authentication before the body.** A write (any method but GET/HEAD/OPTIONS) without a valid
  token is answered 401 before a byte of its body is read: a 256 MB body sent without a token
  costs the server nothing.
- **Size caps.** JSON bodies ≤ 1 MB; the upload routes ≤ 10 MB plus form overhead. A declared
  ``Content-Length`` over the cap is refused at once (413); a streamed body is counted as it
  arrives and cut at the cap: the app is told the body will not come (as when a client goes
  away), so it acts on no part of it — not a valid JSON prefix, not a form's picture — and the
  413 answers.
- **Nothing escapes.** A client that goes away mid-body ends the request quietly; an exception
  no handler turned into an answer becomes the JSON 500, logged as one line with its type only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avatar_core import (
    FORM_OVERHEAD_BYTES,
    JSON_BODY_MAX_BYTES,
    MAX_UPLOAD_BYTES,
    AvatarError,
    AvatarService,
    FailureReason,
)

from .deps import authenticate, screen_token
from .errors import error_body, error_response
from .scope import client, header, relative_path

__all__ = ["RequestGuard", "body_cap"]

log = logging.getLogger("avatar_api")

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Routes that take a picture: (method, path pattern relative to /api).
_UPLOADS = (
    ("POST", re.compile(r"^/agents/[^/]+/avatar/generate$")),
    ("PUT", re.compile(r"^/agents/[^/]+/avatar$")),
    ("POST", re.compile(r"^/agents/import$")),
)


def body_cap(method: str, path: str, content_type: str | None = None) -> tuple[int, bool]:
    """(the byte cap of this route's body, whether it takes an upload): a body declared as
    anything but multipart (JSON to generate) is held to the JSON cap even on an upload
    route."""
    form = (content_type or "multipart/").lower().startswith("multipart/")
    for upload_method, pattern in _UPLOADS:
        if method == upload_method and pattern.match(path) and form:
            return MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES, True
    return JSON_BODY_MAX_BYTES, False


class RequestGuard:
    """ASGI middleware applied to the whole API (see the module docstring).

    ``operations`` gives the OpenAPI document's paths: a write to one of them is authenticated
    here; anything else is left to the app's JSON 404. The document, not the router's route
    objects, is the list of operations (FastAPI may wrap included routers in its own types).
    """

    def __init__(self, app: ASGIApp, get_service: Callable[[], AvatarService],
                 operations: Callable[[], Mapping[str, Mapping[str, Any]]]) -> None:
        self.app = app
        self.get_service = get_service
        self.operations = operations
        self._patterns: list[tuple[frozenset[str], re.Pattern[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = relative_path(scope)
        cap, is_upload = body_cap(scope["method"], path, header(scope, b"content-type"))
        refusal = self._refuse_early(scope, cap, is_upload)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._guarded(scope, receive, send, cap, is_upload)

    def _refuse_early(self, scope: Scope, cap: int, is_upload: bool) -> JSONResponse | None:
        authorization = header(scope, b"authorization")
        try:
            if authorization is not None:
                screen_token(self.get_service(), client(scope), authorization)
            if scope["method"] not in _READS and self._is_operation(scope):
                authenticate(self.get_service(), authorization)
        except AvatarError as exc:
            return error_response(exc)
        declared = header(scope, b"content-length") or ""
        if declared.isdigit() and int(declared) > cap:
            return _too_large(cap, is_upload)
        return None

    def _is_operation(self, scope: Scope) -> bool:
        if self._patterns is None:  # the document is complete once the app serves requests
            self._patterns = [(frozenset(m.upper() for m in methods), _path_pattern(path))
                              for path, methods in self.operations().items()]
        path, method = relative_path(scope), scope["method"]
        return any(method in methods and pattern.fullmatch(path)
                   for methods, pattern in self._patterns)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, cap: int,
                       is_upload: bool) -> None:
        state = _Exchange()

        async def counted() -> Message:
            if state.over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state.received += len(message.get("body", b""))
                if state.received > cap:
                    state.over = True  # for the app, the body never arrives
                    return {"type": "http.disconnect"}
            return message

        async def answered(message: Message) -> None:
            if state.over:
                return  # the app's answer to a cut body is replaced by the 413 below
            state.started = True
            await send(message)

        try:
            await self.app(scope, counted, answered)
        except ClientDisconnect:
            if not state.over:
                return  # the client went away mid-body: nobody is left to answer
        except Exception as exc:
            if not state.over:  # after the cut, whatever the app made of it is moot
                log.error("Unexpected API error: %s", type(exc).__name__)
                if not state.started:
                    await _internal_error()(scope, receive, send)
                return
        if state.over and not state.started:
            await _too_large(cap, is_upload)(scope, receive, send)


@dataclass
class _Exchange:
    """One guarded request: body bytes received so far, whether they went over the cap, and
    whether the app has started its answer."""

    received: int = 0
    over: bool = False
    started: bool = False


def _too_large(cap: int, is_upload: bool) -> JSONResponse:
    limit = f"{cap // (1024 * 1024)} MB" if cap >= 1024 * 1024 else f"{cap // 1024} KB"
    what = "an upload" if is_upload else "a JSON body"
    body = error_body(f"The request body is too large: the limit for {what} here is {limit}",
                      FailureReason.INVALID_INPUT if is_upload else None)
    return JSONResponse(body, status_code=413, headers={"Connection": "close"})


def _internal_error() -> JSONResponse:
    return JSONResponse(error_body("Internal error", FailureReason.UNKNOWN), status_code=500)


def _path_pattern(template: str) -> re.Pattern[str]:
    """``/agents/{name}/avatar`` → a pattern where each ``{parameter}`` is one path segment."""
    pieces = re.split(r"\{[^}/]+\}", template)
    return re.compile("[^/]+".join(re.escape(piece) for piece in pieces))

