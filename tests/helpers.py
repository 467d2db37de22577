"""What tests share besides fixtures: the one waiter, and the settings that point at Gemini."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.gemini_server import GeminiStub

__all__ = ["GEMINI_KEY", "gemini_env", "wait_until", "work_settled"]

T = TypeVar("T")

# Shaped like a real key (the SDK does not check it; our redaction must hide it).
GEMINI_KEY = "AIzaSyTEST-0123456789abcdefghijklmnopq"


def wait_until(predicate: Callable[[], T], timeout: float = 60.0, *, every: float = 0.05,
               message: str = "condition not reached in time") -> T:
    """Poll ``predicate`` until it returns something truthy and return that (real background
    threads and processes need real time); fail with ``message`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} (waited {timeout:g} s)")
        time.sleep(every)


def gemini_env(stub: GeminiStub, **options: str) -> dict[str, str]:
    """Settings that make a service draw with Gemini (the real SDK) against ``stub``."""
    return {"AVATARS_PROVIDER": "gemini", "GEMINI_API_KEY": GEMINI_KEY,
            "GOOGLE_GEMINI_BASE_URL": stub.url, **options}


def work_settled(service: Any) -> bool:
    """No background work left in ``service``, renditions included (they write blobs too, and
    ``work.idle`` does not wait for them)."""
    return bool(service.work.idle() and not service.serving.rows.pending())
