"""The one service per process, shared by the Streamlit pages and the REST API.

``app.py`` is loaded twice (by the server, then per rerun), so no state may live there; this
module holds the process-wide instance instead.
"""

from __future__ import annotations

import threading

from .foundation.config import Settings
from .service import AvatarService

__all__ = ["reset_shared_service", "shared_service"]

_lock = threading.Lock()
_service: AvatarService | None = None


def shared_service() -> AvatarService:
    """The started service for this process, created from the environment on first use."""
    global _service
    with _lock:
        if _service is None:
            _service = AvatarService(Settings.load()).start()
        return _service


def reset_shared_service() -> None:
    """Close and forget the shared service (tests that change the environment)."""
    global _service
    with _lock:
        if _service is not None:
            _service.close()
        _service = None
