"""Background work never stalls and never spins: budgets, waiting batches and priorities.

Real services on real SQLite files, the real google-genai SDK against ``GeminiStub``. Claims
are counted at the database (every ``UPDATE … SET owner`` that took a row), not timed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.models import JobStatus
from avatar_core.foundation.pricing import BATCH_DISCOUNT, KNOWN_IMAGE_PRICES_USD, CallKind
from avatar_core.service import AvatarService
from avatar_core.storage.leases import PARKED
from avatar_core.storage.schema import emotion_variants, job_items, jobs
from tests.conftest import wait_until
from tests.gemini_server import GeminiStub

KEY = "AIzaSyTEST-engine-0123456789abcdefghijkl"
FLASH = KNOWN_IMAGE_PRICES_USD["gemini-3.1-flash-image"]
HALF = FLASH * BATCH_DISCOUNT

ServiceFactory = Callable[..., AvatarService]


@pytest.fixture
def gemini(make_service: ServiceFactory, stub: GeminiStub) -> ServiceFactory:
    def factory(**options: Any) -> AvatarService:
        values = {"AVATARS_PROVIDER": "gemini", "GEMINI_API_KEY": KEY,
                  "GOOGLE_GEMINI_BASE_URL": stub.url, "AVATARS_BATCH_POLL_S": "0.05"}
        values.update(options)
        return make_service(**values)

    return factory


class Claims:
    """Rows claimed by any worker (``UPDATE <table> SET owner=<a worker>`` that took a row)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                 context: Any, executemany: bool) -> None:
        if not statement.startswith(("UPDATE emotion_variants SET owner",
                                     "UPDATE job_items SET owner")):
            return
        owner = parameters[0] if isinstance(parameters, tuple) and parameters else None
        if isinstance(owner, str) and owner != PARKED and cursor.rowcount > 0:
            with self._lock:
                self.count += cursor.rowcount


@pytest.fixture
def claims() -> Iterator[Claims]:
    counter = Claims()
    sa.event.listen(Engine, "after_cursor_execute", counter)
    yield counter
    sa.event.remove(Engine, "after_cursor_execute", counter)


def register(service: AvatarService, *names: str) -> None:
    for name in names:
        service.register_agent(name, description=f"{name} answers the phones")


def spent_already(service: AvatarService, usd: float) -> None:
    service.budget.record(CallKind.AVATAR, "gemini", "gemini-3.1-flash-image", usd)


def rows(service: AvatarService, table: sa.Table, where: Any) -> int:
    with service.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(table).where(where)) or 0)


def ready_emotions(service: AvatarService, name: str) -> int:
    return len(service.emotions(name).emotions)


def emotion_calls(stub: GeminiStub) -> list[float]:
    """Indexes of image requests that start from a reference image (emotion variants)."""
    return [i for i, r in enumerate(stub.requests)
            if "image" in r.model and any("inlineData" in p for p in r.parts)]


def face_calls(stub: GeminiStub) -> list[int]:
    return [i for i, r in enumerate(stub.requests)
            if "image" in r.model and not any("inlineData" in p for p in r.parts)]


# --- no busy loop -----------------------------------------------------------------------------


def test_a_spent_budget_parks_paid_emotions_and_the_worker_sleeps(gemini, claims, tmp_path):
    # Two Gemini-made avatars, their 16 emotions still pending, the budget spent, and the
    # built-in renderer now active: the old worker claimed and released them ~287 times a
    # second until midnight.
    setup = gemini(resume=False, AVATARS_DAILY_BUDGET_USD=str(2 * FLASH))
    register(setup, "atlas", "nova")
    setup.generate("atlas", "a brass robot")
    setup.generate("nova", "a silver robot")
    setup.set_provider_choice("builtin")
    setup.close()

    service = gemini(AVATARS_DAILY_BUDGET_USD=str(2 * FLASH))
    wait_until(lambda: rows(service, emotion_variants, emotion_variants.c.owner == PARKED) == 16
               and service.work.idle())
    parked_after = claims.count
    assert parked_after <= 16 + 2  # each pending row claimed once (a few at a lease's end)

    time.sleep(3.0)  # a window for claims that must not happen (three poll intervals)
    assert claims.count == parked_after
    assert service.spend().spent_today == pytest.approx(2 * FLASH)

    service.set_daily_budget(100.0)  # the next event: the parked rows go on at once
    wait_until(lambda: ready_emotions(service, "atlas") == ready_emotions(service, "nova")
               == len(EMOTIONS), timeout=120)
    assert claims.count <= parked_after + 16 + 2
    assert service.spend().today["emotion"] == pytest.approx(16 * FLASH)


def test_a_budget_with_room_again_on_another_replica_wakes_parked_work(gemini, stub):
    service = gemini(AVATARS_DAILY_BUDGET_USD=str(FLASH))
    register(service, "atlas")
    service.generate("atlas", "a brass robot")
    wait_until(lambda: rows(service, emotion_variants, emotion_variants.c.owner == PARKED) == 8
               and service.work.idle())
    # Another replica (or a new UTC day) makes room: the saved budget changes underneath.
    service.budget.set_limit(100.0)
    wait_until(lambda: ready_emotions(service, "atlas") == len(EMOTIONS), timeout=120)


# --- a waiting batch never blocks other work ------------------------------------------------


def test_a_batch_waiting_for_the_budget_lets_emotions_that_fit_go_on(gemini, stub):
    setup = gemini(resume=False, AVATARS_DAILY_BUDGET_USD=str(4 * FLASH))
    register(setup, "atlas", "nova", "orion", "vega")
    setup.generate("vega", "a violet robot")  # its 8 emotions wait for the worker
    job_id = setup.generate_defaults(batch=True).id  # 3 faces: 1.5 images at batch price
    spent_already(setup, 1.8 * FLASH)  # 2.8 of 4 spent: 1.2 left, less than the batch
    setup.close()

    service = gemini(AVATARS_DAILY_BUDGET_USD=str(4 * FLASH))
    wait_until(lambda: ready_emotions(service, "vega") == 1 and service.work.idle())
    job = service.job(job_id)
    assert job.status is JobStatus.PAUSED and stub.batches.created == []
    assert f"less than the next step's ${3 * HALF:.2f}" in (job.paused_reason or "")
    assert service.spend().spent_today == pytest.approx(3.8 * FLASH)

    service.set_daily_budget(100.0)
    wait_until(lambda: service.job(job_id).finished, timeout=120)
    assert len(stub.batches.created) == 1 and face_calls(stub)[1:] == []  # vega's face only
    assert service.job(job_id).generated == 3


def test_a_batch_larger_than_a_whole_day_is_split_and_says_so(gemini, stub):
    service = gemini(AVATARS_DAILY_BUDGET_USD=str(2 * HALF))
    register(service, "atlas", "nova", "orion")
    job_id = service.generate_defaults(batch=True).id

    # two faces fit the day at batch price: they go in the batch; the third waits for the
    # budget as one normal call, and the job says why
    wait_until(lambda: service.job(job_id).generated == 2 and service.work.idle(), timeout=120)
    assert len(stub.batches.created[0].items) == 2
    job = service.job(job_id)
    assert job.status is JobStatus.PAUSED
    assert "is spent" in (job.paused_reason or "")
    assert service.spend().today["default"] == pytest.approx(2 * HALF)

    service.set_daily_budget(100.0)
    wait_until(lambda: service.job(job_id).finished, timeout=120)
    assert service.job(job_id).generated == 3 and len(face_calls(stub)) == 1
    assert len(stub.batches.created) == 1


# --- idempotent batches -------------------------------------------------------------------


def test_a_submit_whose_answer_times_out_finds_its_batch_instead_of_paying_twice(gemini, stub):
    service = gemini(AVATARS_GEMINI_TIMEOUT_S="2")
    register(service, "atlas", "nova")
    held = stub.batches.hold_next_create()  # created at Google, but the answer never comes
    try:
        job_id = service.generate_defaults(batch=True).id
        job = None
        wait_until(lambda: service.job(job_id).finished, timeout=120)
        job = service.job(job_id)
    finally:
        held.set()
    assert job is not None and (job.status, job.generated) == (JobStatus.DONE, 2)
    assert len(stub.batches.created) == 1 and face_calls(stub) == []
    assert stub.batches.lists >= 2  # looked up before the submit, and after its timeout
    assert service.spend().today["default"] == pytest.approx(2 * HALF)


def test_a_missing_key_pauses_a_submitted_batch_instead_of_abandoning_it(gemini, stub):
    service = gemini(GEMINI_API_KEY="")
    service.save_gemini_key(KEY)
    register(service, "atlas", "nova")
    stub.batches.walk("running")
    job_id = service.generate_defaults(batch=True).id
    wait_until(lambda: bool(stub.batches.created) and stub.batches.created[0].polls >= 1)
    record = stub.batches.created[0]

    service.remove_gemini_key()  # gone for a while: nothing may fall back or be re-drawn
    wait_until(lambda: service.job(job_id).status is JobStatus.PAUSED)
    assert "waits for its provider" in (service.job(job_id).paused_reason or "")
    assert rows(service, job_items, job_items.c.via_batch.is_(False)) == 0

    service.save_gemini_key(KEY)
    record.walk = ("running", "succeeded")
    wait_until(lambda: service.job(job_id).finished, timeout=120)
    assert service.job(job_id).generated == 2
    assert len(stub.batches.created) == 1 and face_calls(stub) == []
    with service.engine.connect() as conn:
        assert conn.scalar(sa.select(jobs.c.batch_name).where(jobs.c.id == job_id)) == record.name


# --- priorities: faces before moods -------------------------------------------------------


def test_under_a_quota_every_face_is_drawn_before_any_emotion(make_service, tmp_path):
    # 5 requests per 2 s window (a 5-a-minute quota scaled down), emotions of two earlier
    # avatars already waiting, then bulk defaults for 8 agents.
    with GeminiStub(image_size=32, quota_per_min=5, quota_window_s=2.0) as quota:
        options = {"AVATARS_PROVIDER": "gemini", "GEMINI_API_KEY": KEY,
                   "GOOGLE_GEMINI_BASE_URL": quota.url, "AVATARS_CONCURRENCY": "4"}
        setup = make_service(resume=False, **options)
        register(setup, "early-1", "early-2")
        setup.generate("early-1", "a brass robot")
        setup.generate("early-2", "a silver robot")
        names = [f"agent-{i}" for i in range(8)]
        register(setup, *names)
        job_id = setup.generate_defaults().id
        setup.close()
        before = len(quota.requests)

        service = make_service(**options)
        wait_until(lambda: service.job(job_id).finished, timeout=170)
        assert service.job(job_id).generated == 8
        wait_until(lambda: emotion_calls(quota), timeout=60)
        faces = [i for i in face_calls(quota) if i >= before]
        assert len(faces) >= 8 and quota.rate_limited > 0  # the quota was felt
        assert max(faces) < min(i for i in emotion_calls(quota) if i >= before)
