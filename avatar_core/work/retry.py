"""Retry policy for provider calls.

Transient reasons (rate_limited, timeout, upstream_error) are retried with exponential backoff
and full jitter, honouring the server's own retry delay when it gives one; everything else fails
at once. A person waiting gets ~3 attempts / 20 s; background work keeps trying for 2 minutes so
a short provider outage costs time, not avatars. Built on tenacity; the SDK's own retries are
off because they ignore ``RetryInfo.retryDelay``.
"""

from __future__ import annotations

import random
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

from ..foundation.errors import (
    GenerationError,
    retry_after_seconds,
    to_generation_error,
)

__all__ = ["BACKGROUND", "INTERACTIVE", "RetryPolicy", "Stopped", "call_with_retry"]

T = TypeVar("T")


class Stopped(Exception):
    """The process is shutting down: background work leaves its item pending, unfinished."""

    passthrough = True  # not a provider failure: nothing to retry or to record


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
    if getattr(exc, "passthrough", False):
        return False  # the caller's control flow (a stale base, a spent budget)
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
