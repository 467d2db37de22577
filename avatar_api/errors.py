"""The one place errors become HTTP responses, with one JSON body for all of them.

Every error answers ``{"detail": "...", "reason": "<failure reason>", "hint": "..."}`` —
``reason``/``hint`` only for generation failures. Our ``AvatarError`` family carries its own
status; FastAPI's validation errors and Starlette's HTTP errors are rendered in the same shape;
anything unexpected is a 500 with no traceback in the body and only its type in the log (the
request guard answers it, so Starlette never re-raises it into the server's log).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from avatar_core import AvatarError, FailureReason, GenerationError, TooManyAttempts

__all__ = ["error_body", "error_response", "install_error_handlers", "retry_after_header"]

_DEFAULT_RETRY_AFTER_S = 5

def error_body(detail: str, reason: FailureReason | None = None,
               **extra: Any) -> dict[str, Any]:
    """The JSON error body every answer of the API uses."""
    body: dict[str, Any] = {"detail": detail}
    if reason is not None:
        body["reason"] = reason.value
        body["hint"] = reason.hint
    body.update(extra)
    return body


def error_response(exc: AvatarError) -> JSONResponse:
    """An ``AvatarError`` as a response: its status, its body, and the headers it calls for."""
    headers = {}
    reason = exc.reason if isinstance(exc, GenerationError) else None
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if reason is FailureReason.RATE_LIMITED:
        retry_after = exc.retry_after if isinstance(exc, GenerationError) else None
        headers["Retry-After"] = retry_after_header(retry_after)
    return JSONResponse(error_body(exc.detail, reason), status_code=exc.status, headers=headers)


def retry_after_header(seconds: float | None) -> str:
    """Whole seconds, at least 1; our own default when the delay is unknown or not finite."""
    if seconds is None or not math.isfinite(seconds):
        return str(_DEFAULT_RETRY_AFTER_S)
    return str(max(1, math.ceil(seconds)))


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(AvatarError)
    async def avatar_error(_request: Request, exc: AvatarError) -> JSONResponse:
        return error_response(exc)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if exc.status_code != 404 else "Not found: no such API endpoint"
        return JSONResponse(error_body(str(detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @api.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()) if p != 'body') or 'body'}: "
            f"{err.get('msg', 'invalid')}" for err in exc.errors())
        return JSONResponse(error_body(f"Malformed request: {problems}",
                                       errors=_plain(exc.errors())), status_code=422)


def _plain(errors: Any) -> list[dict[str, Any]]:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
             "type": str(e.get("type", ""))} for e in errors]
