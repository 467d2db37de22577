"""Retry policy and adaptive concurrency for provider calls.

Transient reasons (rate_limited, timeout, upstream_error) are retried with exponential backoff
and full jitter, honouring the server's own retry delay when it gives one; everything else fails
at once. A person waiting gets ~3 attempts / 20 s; background work keeps trying for 2 minutes so
a short provider outage costs time, not avatars. Built on tenacity; the SDK's own retries are
off because they ignore ``RetryInfo.retryDelay``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

from .foundation.errors import (
    FailureReason,
    GenerationError,
    retry_after_seconds,
    to_generation_error,
)

__all__ = ["BACKGROUND", "INTERACTIVE", "AdaptiveLimiter", "RetryPolicy", "call_with_retry"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts and total seconds, backoff base and cap."""

    attempts: int
    total_s: float
    base_s: float = 0.5
    cap_s: float = 20.0


INTERACTIVE = RetryPolicy(attempts=3, total_s=20.0, base_s=0.5, cap_s=8.0)
BACKGROUND = RetryPolicy(attempts=40, total_s=120.0, base_s=0.5, cap_s=20.0)


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        server_delay = retry_after_seconds(exc) if exc else None
        if server_delay is not None:
            # The server knows when a slot frees up; a little jitter spreads the herd.
            return min(server_delay, policy.total_s) + random.uniform(0, 0.25)
        ceiling = min(policy.cap_s, policy.base_s * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)

    return wait


def _retryable(exc: BaseException) -> bool:
    return to_generation_error(exc).reason.retryable


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    on_failure: Callable[[GenerationError], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``fn`` under ``policy``; raise the last failure as a ``GenerationError``."""

    def before_sleep(state: RetryCallState) -> None:
        if on_failure and state.outcome and state.outcome.exception():
            on_failure(to_generation_error(state.outcome.exception()))  # type: ignore[arg-type]

    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.total_s),
        wait=_wait(policy),
        retry=retry_if_exception(_retryable),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
    try:
        return retrying(fn)
    except GenerationError:
        raise
    except Exception as exc:
        if getattr(exc, "passthrough", False):
            raise  # control flow of the caller's, not a provider failure
        raise to_generation_error(exc) from exc


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
            delay = error.retry_after if error.retry_after is not None else 1.0
            self._paused_until = max(self._paused_until, time.monotonic() + delay)

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` holding a slot; record success or a rate limit."""
        self.acquire()
        try:
            result = fn()
        except Exception as exc:
            self.on_failure(to_generation_error(exc))
            raise
        finally:
            self.release()
        self.on_success()
        return result
