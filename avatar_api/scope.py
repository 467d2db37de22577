"""Reading an ASGI request's scope, for the middleware that answers before routing."""

from __future__ import annotations

import re
from typing import Any

from starlette.types import Scope

__all__ = ["avatar_name", "client", "header", "relative_path"]

_AVATAR = re.compile(r"/agents/([^/]+)/avatar")


def relative_path(scope: Scope) -> str:
    """The request's path below the API's mount point (``/agents/atlas/avatar``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower case), or None."""
    headers: Any = scope.get("headers", [])
    for key, value in headers:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def client(scope: Scope) -> str:
    """The address the request came from (``unknown`` when the server does not say)."""
    peer: Any = scope.get("client")
    return str(peer[0]) if peer else "unknown"


def avatar_name(path: str) -> str | None:
    """The agent of an avatar path (``/agents/{name}/avatar``), or None for any other path."""
    match = _AVATAR.fullmatch(path)
    return match.group(1) if match else None
