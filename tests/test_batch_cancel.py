"""Cancelling a batch-mode defaults job: a batch already submitted is paid for, so it is polled
on and its results kept; a batch not submitted yet never is, and nothing falls back to calls.

The real google-genai client creates and polls batches from ``GeminiStub``'s Batch API.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from avatar_core.foundation.models import JobStatus
from avatar_core.foundation.pricing import BATCH_DISCOUNT, KNOWN_IMAGE_PRICES_USD
from avatar_core.storage.schema import jobs
from tests.helpers import wait_until

KEY = "AIzaSyTEST-batch-cancel-0123456789abcdef"
HALF = KNOWN_IMAGE_PRICES_USD["gemini-3.1-flash-image"] * BATCH_DISCOUNT
AGENTS = ("atlas", "nova", "orion")


@pytest.fixture
def service(make_service, stub):
    made = make_service(AVATARS_PROVIDER="gemini", GEMINI_API_KEY=KEY,
                        GOOGLE_GEMINI_BASE_URL=stub.url, AVATARS_BATCH_POLL_S="0.05")
    for name in AGENTS:
        made.agents.register(name, description=f"{name} answers the phones")
    return made


def batch_name(service, job_id: int) -> str | None:
    with service.engine.connect() as conn:
        return conn.scalar(sa.select(jobs.c.batch_name).where(jobs.c.id == job_id))


def face_calls(stub) -> list:
    return [r for r in stub.requests
            if "image" in r.model and not any("inlineData" in p for p in r.parts)]


def test_a_submitted_batch_is_polled_on_after_cancel_and_its_faces_kept(service, stub):
    stub.batches.walk("running")  # Google is still working when the job is cancelled
    job_id = service.generate_defaults(batch=True).id
    wait_until(lambda: batch_name(service, job_id) is not None
               and stub.batches.created[0].polls >= 1)
    record = stub.batches.created[0]

    cancelled = service.job_control.cancel(job_id)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.done == 0  # in flight
    polls = record.polls
    wait_until(lambda: record.polls > polls)  # still polled: it is paid for
    record.walk = ("running", "succeeded")

    wait_until(lambda: service.job_control.get(job_id).generated == 3, timeout=120)
    job = service.job_control.get(job_id)
    assert (job.status, job.skipped, job.failed) == (JobStatus.CANCELLED, 0, 0)
    assert all(service.agents.get(name).is_default_avatar for name in AGENTS)
    assert len(stub.batches.created) == 1 and face_calls(stub) == []
    assert service.budget.summary().today["default"] == pytest.approx(3 * HALF)


def test_a_batch_not_submitted_yet_never_is(service, stub):
    service.set_daily_budget(0.0)  # the batch waits for a budget that cannot pay for it
    job_id = service.generate_defaults(batch=True).id
    cancelled = service.job_control.cancel(job_id)
    assert (cancelled.status, cancelled.skipped, cancelled.done) == (JobStatus.CANCELLED, 3, 3)
    service.set_daily_budget(100.0)  # even with money again, nothing is drawn for it
    service.work.worker.kick()
    wait_until(service.work.idle, timeout=60)
    assert stub.batches.created == [] and face_calls(stub) == []
    assert not any(service.agents.get(name).has_avatar for name in AGENTS)
