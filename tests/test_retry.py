"""Retry policy and the adaptive limiter, with real exceptions and real threads."""

from __future__ import annotations

import threading
import time

import pytest

from avatar_core.foundation.errors import FailureReason, GenerationError
from avatar_core.work.limiter import AdaptiveLimiter
from avatar_core.work.retry import RetryPolicy, call_with_retry

FAST = RetryPolicy(attempts=4, total_s=5.0, base_s=0.01, cap_s=0.05)


def flaky(*failures: GenerationError):
    queue = list(failures)
    calls = []

    def fn():
        calls.append(time.monotonic())
        if queue:
            raise queue.pop(0)
        return "ok"

    return fn, calls


@pytest.mark.parametrize("reason", ["rate_limited", "timeout", "upstream_error"])
def test_transient_reasons_are_retried(reason):
    fn, calls = flaky(GenerationError(FailureReason(reason), "x"))
    assert call_with_retry(fn, FAST) == "ok"
    assert len(calls) == 2


@pytest.mark.parametrize("reason", ["not_configured", "invalid_input", "safety_filter", "unknown"])
def test_other_reasons_fail_at_once(reason):
    fn, calls = flaky(GenerationError(FailureReason(reason), "x"))
    with pytest.raises(GenerationError) as caught:
        call_with_retry(fn, FAST)
    assert caught.value.reason.value == reason and len(calls) == 1


def test_attempts_are_bounded():
    fn, calls = flaky(*[GenerationError(FailureReason.TIMEOUT, "slow")] * 10)
    with pytest.raises(GenerationError):
        call_with_retry(fn, FAST)
    assert len(calls) == FAST.attempts


def test_server_retry_delay_is_honoured():
    fn, calls = flaky(GenerationError(FailureReason.RATE_LIMITED, "429", retry_after=0.6))
    call_with_retry(fn, FAST)
    assert calls[1] - calls[0] >= 0.6


def test_unknown_exceptions_become_generation_errors():
    def boom():
        raise KeyError("surprise")

    with pytest.raises(GenerationError) as caught:
        call_with_retry(boom, FAST)
    assert caught.value.reason is FailureReason.UNKNOWN


def test_limiter_halves_on_429_and_recovers():
    limiter = AdaptiveLimiter(4, recover_after=2)
    limiter.on_failure(GenerationError(FailureReason.RATE_LIMITED, "429", retry_after=0.0))
    assert limiter.limit == 2
    limiter.on_failure(GenerationError(FailureReason.TIMEOUT, "slow"))
    assert limiter.limit == 2  # only rate limits shrink it
    for _ in range(4):
        limiter.on_success()
    assert limiter.limit == 4


def test_limiter_bounds_concurrency_with_real_threads():
    limiter = AdaptiveLimiter(3)
    active, peak, lock = [0], [0], threading.Lock()

    def work():
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1

    threads = [threading.Thread(target=limiter.run, args=(work,)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 3


def test_limiter_pauses_after_a_rate_limit():
    limiter = AdaptiveLimiter(2)
    limiter.on_failure(GenerationError(FailureReason.RATE_LIMITED, "429", retry_after=0.4))
    started = time.monotonic()
    limiter.run(lambda: None)
    assert time.monotonic() - started >= 0.35
