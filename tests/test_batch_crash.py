"""SIGKILL a process in the middle of a batch: the batch is found again, never paid twice.

The child (``tests.crash_child batch``) submits bulk defaults as one Gemini batch to
``GeminiStub``; it is killed first while Google has created the batch but not answered the
create call (the name was never stored), then again while the stored batch is running. The
process that takes over finds the batch by its display name and polls it to the end.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from avatar_core.foundation.models import JobStatus
from avatar_core.foundation.pricing import BATCH_DISCOUNT, KNOWN_IMAGE_PRICES_USD
from avatar_core.storage.database import create_engine
from avatar_core.storage.schema import jobs
from tests.conftest import wait_until
from tests.gemini_server import GeminiStub
from tests.test_crash import kill, start_child

pytestmark = pytest.mark.slow
HALF = KNOWN_IMAGE_PRICES_USD["gemini-3.1-flash-image"] * BATCH_DISCOUNT


def stored_name(data_dir) -> str | None:
    engine = create_engine(f"sqlite:///{data_dir / 'avatars.db'}")
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.select(jobs.c.batch_name))
    finally:
        engine.dispose()


def test_sigkill_between_submit_and_storing_the_name_finds_the_batch_again(make_service,
                                                                          tmp_path):
    with GeminiStub(image_size=32) as stub:
        data_dir = tmp_path / "data"
        env = {"AVATARS_BATCH_POLL_S": "0.05"}
        stub.batches.walk("running")  # Google works on it until the test says otherwise
        held = stub.batches.hold_next_create()
        child = start_child("batch", data_dir, stub.url, env)
        wait_until(lambda: len(stub.batches.created) == 1, timeout=60)
        kill(child)  # created at Google; the child never learnt its name
        held.set()
        assert stored_name(data_dir) is None

        child = start_child("batch", data_dir, stub.url, env)  # finds it, stores it, polls
        record = stub.batches.created[0]
        wait_until(lambda: stored_name(data_dir) == record.name and record.polls >= 2,
                   timeout=60)
        kill(child)  # mid-batch, with the name stored
        polls = record.polls

        service = make_service(data_dir, AVATARS_PROVIDER="gemini", GEMINI_API_KEY="k",
                               GOOGLE_GEMINI_BASE_URL=stub.url, AVATARS_BATCH_POLL_S="0.05")
        wait_until(lambda: record.polls > polls)
        record.walk = ("running", "succeeded")
        job = service.latest_defaults_job()
        assert job is not None
        wait_until(lambda: service.job(job.id).finished, timeout=120)
        finished = service.job(job.id)
        assert (finished.status, finished.generated) == (JobStatus.DONE, 3)
        assert len(stub.batches.created) == 1  # one batch across three processes
        assert not [r for r in stub.requests if "image" in r.model
                    and not any("inlineData" in p for p in r.parts)]  # no face drawn alone
        assert service.spend().today["default"] == pytest.approx(3 * HALF)  # reserved once
