"""``/api`` mounted into the Streamlit server so that every path under it reaches the API.

Starlette's ``Mount`` matches ``/api/{path:path}`` with a pattern whose ``.`` stops at a line
break, so ``/api/agents%0A`` fell through to Streamlit's text/plain 404. Here the pattern
spans any character: every ``/api`` answer, a 404 included, is the API's JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.routing import Mount

from avatar_core import AvatarService

from .app import create_api

__all__ = ["api_mount"]


def api_mount(get_service: Callable[[], AvatarService]) -> Mount:
    """The API at ``/api`` for ``st.App(routes=[...])``, matching every path below it."""
    mount = Mount("/api", app=create_api(get_service))
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount
