"""Bounded concurrency for provider calls that halves on a rate limit and creeps back (AIMD).

Every background provider call holds a slot, so a burst of work never exceeds the provider's
quota by more than the limit, and a 429 slows the whole process down at once instead of each
caller discovering it on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from ..foundation.errors import (
    DELAY_MIN_S,
    FailureReason,
    GenerationError,
    bounded_delay,
    to_generation_error,
)

__all__ = ["AdaptiveLimiter", "Limiter"]

T = TypeVar("T")


class Limiter(Protocol):
    """Runs provider calls within a concurrency limit (this process's, or the cluster's)."""

    def run(self, fn: Callable[[], T]) -> T: ...


class AdaptiveLimiter:
    """Bounded concurrency that halves on a 429 and creeps back up on success (AIMD).

    Every background provider call holds a slot. A rate limit lowers the limit and pauses new
    calls until the server's retry delay has passed; every ``recover_after`` successes the limit
    grows by one again, up to ``maximum``.
    """

    def __init__(self, maximum: int, recover_after: int = 4) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.recover_after = recover_after
        self.in_flight = 0
        self.rate_limited = 0
        self._successes = 0
        self._paused_until = 0.0
        self._cond = threading.Condition()

    def acquire(self) -> None:
        with self._cond:
            while True:
                pause = self._paused_until - time.monotonic()
                if pause <= 0 and self.in_flight < self.limit:
                    self.in_flight += 1
                    return
                self._cond.wait(timeout=pause if pause > 0 else None)

    def release(self) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def on_success(self) -> None:
        with self._cond:
            self._successes += 1
            if self.limit < self.maximum and self._successes >= self.recover_after:
                self.limit += 1
                self._successes = 0
                self._cond.notify_all()

    def on_failure(self, error: GenerationError) -> None:
        if error.reason is not FailureReason.RATE_LIMITED:
            return
        with self._cond:
            self.rate_limited += 1
            self._successes = 0
            self.limit = max(1, self.limit // 2)
            delay = bounded_delay(error.retry_after) or DELAY_MIN_S
            self._paused_until = max(self._paused_until, time.monotonic() + delay)

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` holding a slot; record success or a rate limit."""
        self.acquire()
        try:
            result = fn()
        except Exception as exc:
            if not getattr(exc, "passthrough", False):  # a stale base or spent budget: no 429
                self.on_failure(to_generation_error(exc))
            raise
        finally:
            self.release()
        self.on_success()
        return result
