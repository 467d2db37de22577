"""The one service per process, shared by the Streamlit pages and the REST API.

``app.py`` is loaded twice (by the server, then per rerun), so no state may live there; this
module holds the process-wide instance instead.
"""

from __future__ import annotations

import os
import sys
import threading

from .foundation.config import ConfigError, Settings
from .service import AvatarService

__all__ = ["reset_shared_service", "shared_service", "start_or_exit"]

CONFIG_EXIT_CODE = 2

_lock = threading.Lock()
_service: AvatarService | None = None


def shared_service() -> AvatarService:
    """The started service for this process, created from the environment on first use."""
    global _service
    with _lock:
        if _service is None:
            _service = AvatarService(Settings.load()).start()
        return _service


def start_or_exit() -> AvatarService:
    """The shared service at server start; a bad configuration ends the process at once.

    The message (every bad setting, secrets masked) goes to stderr without a traceback, and the
    exit is immediate: no service, thread or connection exists yet to close, and a server left
    running on defaults would be the fail-open start this refuses.
    """
    try:
        return shared_service()
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.stderr.flush()
        os._exit(CONFIG_EXIT_CODE)


def reset_shared_service() -> None:
    """Close and forget the shared service (tests that change the environment)."""
    global _service
    with _lock:
        if _service is not None:
            _service.close()
        _service = None
