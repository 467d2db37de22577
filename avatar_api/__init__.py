"""The REST API (FastAPI), mounted at /api inside the Streamlit server.

Routers by resource in ``routes/``; request bodies in ``inputs``, answers (one model per shape)
in ``models``, each route's error statuses for the document in ``error_statuses``; the one
place errors become responses in ``errors``; the one ETag/Cache-Control helper in ``caching``,
shared by the routes and the hot-avatar fast path (``hot``). Imports ``avatar_core``, never the UI.
"""

from .app import create_api
from .mount import api_mount

__all__ = ["api_mount", "create_api"]
