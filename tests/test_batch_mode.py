"""Batch mode for bulk defaults, end to end: one batch per job, polled by whoever holds the job.

The real google-genai client creates, polls and downloads batches from ``GeminiStub``'s Batch
and Files API; the stub's batch records are scripted (``walk``, or a record's ``walk`` changed
while it runs) to hold a batch "running" across a restart of the service.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from avatar_api import create_api
from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.clock import utcnow
from avatar_core.foundation.errors import BadRequest
from avatar_core.foundation.models import JobStatus
from avatar_core.foundation.pricing import BATCH_DISCOUNT, KNOWN_IMAGE_PRICES_USD, CallKind
from avatar_core.providers.gemini_batch import GeminiBatches
from avatar_core.service import AvatarService
from avatar_core.storage.schema import avatar_versions, job_items, jobs
from tests.gemini_batch_server import BatchRecord
from tests.gemini_server import GeminiStub, refused_url
from tests.helpers import GEMINI_KEY, wait_until

ADMIN = "admin-secret-for-batch-tests"
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}
FLASH = KNOWN_IMAGE_PRICES_USD["gemini-3.1-flash-image"]
HALF = FLASH * BATCH_DISCOUNT
AGENTS = ("atlas", "nova", "orion")

ServiceFactory = Callable[..., AvatarService]


@pytest.fixture
def gemini(gemini: ServiceFactory) -> ServiceFactory:
    """Gemini services that poll batches often; all share one data dir unless told."""
    return functools.partial(gemini, AVATARS_ADMIN_TOKEN=ADMIN, AVATARS_BATCH_POLL_S="0.05")


def register(service: AvatarService, *names: str) -> None:
    for name in names:
        service.agents.register(name, description=f"{name} answers the phones")


def face_calls(stub: GeminiStub) -> list[Any]:
    """Interactive image calls without a reference image: faces drawn one by one (emotions
    always start from their base avatar's reference)."""
    return [r for r in stub.requests
            if "image" in r.model and not any("inlineData" in p for p in r.parts)]


def only_batch(stub: GeminiStub) -> BatchRecord:
    created = stub.batches.created
    assert len(created) == 1, [b.name for b in created]
    return created[0]


def stored_batch_name(service: AvatarService, job_id: int) -> str | None:
    with service.engine.connect() as conn:
        return conn.scalar(sa.select(jobs.c.batch_name).where(jobs.c.id == job_id))


def poll_after(service: AvatarService, job_id: int) -> Any:
    """When the batch job's next step is due; None until its first step (submit) ran."""
    with service.engine.connect() as conn:
        return conn.scalar(sa.select(jobs.c.poll_after).where(jobs.c.id == job_id))


def poll_due(service: AvatarService, job_id: int) -> bool:
    due = poll_after(service, job_id)
    return due is not None and due <= utcnow()


def stepped(service: AvatarService, job_id: int) -> bool:
    """Whether a batch job's step (submit or poll) has run at least once."""
    return poll_after(service, job_id) is not None


def steps_seen(service: AvatarService, job_id: int, count: int) -> Callable[[], bool]:
    """A predicate that is true once the job has taken ``count`` more steps (each step moves
    its next poll time)."""
    seen: set[Any] = set()

    def predicate() -> bool:
        seen.add(poll_after(service, job_id))
        return len(seen) > count

    return predicate


def count_rows(service: AvatarService, table: sa.Table) -> int:
    with service.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def versions_per_agent(service: AvatarService) -> dict[str, int]:
    return {name: len(service.versions(name)) for name in AGENTS}


def wait_finished(service: AvatarService, job_id: int) -> Any:
    wait_until(lambda: service.job_control.get(job_id).finished, timeout=120)
    return service.job_control.get(job_id)


# --- the happy path -------------------------------------------------------------------------


def test_a_batch_job_submits_one_inline_batch_and_stores_every_result(gemini, stub):
    service = gemini()
    register(service, *AGENTS)
    client = TestClient(create_api(lambda: service))

    started = client.post("/agents/avatars/generate-defaults?mode=batch", headers=ADMIN_AUTH)

    assert started.status_code == 202, started.text
    assert started.json()["mode"] == "batch"
    job = wait_finished(service, started.json()["id"])
    assert (job.status, job.generated, job.failed) == (JobStatus.DONE, 3, 0)
    record = only_batch(stub)
    assert record.source == "inline" and record.polls >= 1
    assert record.display_name == f"agent-avatars-defaults-{job.id}"
    assert stored_batch_name(service, job.id) == record.name
    # each item asks for the default the one-by-one path would have drawn
    prompts = {key: request["contents"][0]["parts"][-1]["text"] for key, request in record.items}
    for name in AGENTS:
        agent = service.agents.get(name)
        assert f"{name}: {name} answers the phones" in prompts[str(agent.id)]
        version = service.current_version(name)
        assert version is not None and version.is_default and version.provider == "gemini"
    assert face_calls(stub) == []
    assert service.budget.summary().today["default"] == pytest.approx(3 * HALF)
    # the new faces' emotions follow, as normal calls at full price
    wait_until(lambda: all(service.emotions(n).emotions == list(EMOTIONS) for n in AGENTS),
               timeout=120)
    assert service.budget.summary().today["emotion"] == pytest.approx(3 * 8 * FLASH)


def test_a_batch_above_the_inline_limit_goes_up_as_a_jsonl_file(gemini, stub):
    service = gemini()
    register(service, *AGENTS)
    # The real GeminiBatches, with Google's 20 MB inline limit lowered so three requests pass it.
    service.work.batch.batches = lambda: GeminiBatches(GEMINI_KEY, base_url=stub.url, timeout_s=30,
                                                       inline_limit_bytes=1)

    job = wait_finished(service, service.generate_defaults(batch=True).id)

    assert (job.status, job.generated) == (JobStatus.DONE, 3)
    record = only_batch(stub)
    assert record.source == "file"
    [upload] = stub.batches.uploads
    assert upload.data.count(b"\n") == 3  # one JSONL line per agent
    assert face_calls(stub) == []
    assert service.budget.summary().today["default"] == pytest.approx(3 * HALF)


# --- a restart mid-batch, an outage while polling -------------------------------------------


def test_a_restart_mid_batch_polls_the_same_batch_and_draws_nothing_twice(gemini, stub):
    first = gemini()
    register(first, *AGENTS)
    stub.batches.walk("running")  # stays running until the test lets it finish
    job_id = first.generate_defaults(batch=True).id
    wait_until(lambda: stored_batch_name(first, job_id) is not None
               and only_batch(stub).polls >= 1)
    record = only_batch(stub)
    first.close()  # the process goes away while Google is still working on the batch
    polls_before = record.polls

    second = gemini()  # same data dir: a new process on the same database
    wait_until(lambda: record.polls > polls_before + 1)
    assert second.job_control.get(job_id).status is JobStatus.RUNNING
    record.walk = ("running", "succeeded")  # Google finishes the batch

    job = wait_finished(second, job_id)
    assert (job.status, job.generated, job.failed) == (JobStatus.DONE, 3, 0)
    assert only_batch(stub).name == record.name  # polled, never submitted again
    assert face_calls(stub) == []
    assert versions_per_agent(second) == {name: 1 for name in AGENTS}
    assert second.budget.summary().today["default"] == pytest.approx(3 * HALF)


def test_a_poll_that_fails_for_a_while_keeps_the_batch_and_polls_again(gemini, stub):
    service = gemini()
    register(service, *AGENTS)
    stub.batches.walk("running")
    job_id = service.generate_defaults(batch=True).id
    wait_until(lambda: stored_batch_name(service, job_id) is not None)
    reachable = service.work.batch.batches
    # The network to Google is down for a few polls (the real client, a closed port).
    service.work.batch.batches = lambda: GeminiBatches(GEMINI_KEY, base_url=refused_url(),
                                                       timeout_s=5)
    wait_until(steps_seen(service, job_id, 3))
    service.work.batch.batches = reachable
    only_batch(stub).walk = ("running", "succeeded")

    job = wait_finished(service, job_id)

    assert (job.status, job.generated) == (JobStatus.DONE, 3)
    assert face_calls(stub) == []  # the batch Google billed for was kept, not paid twice
    assert service.budget.summary().today["default"] == pytest.approx(3 * HALF)


def test_a_shutdown_while_results_come_in_leaves_them_to_the_next_process(gemini, stub):
    first = gemini()
    first.work.shutdown()  # this process's worker is gone; its batch source is driven by hand
    register(first, *AGENTS)
    stub.batches.walk("succeeded")
    job_id = first.generate_defaults(batch=True).id
    [submit] = first.work.batch.claim("by-hand", 30.0, 1)
    submit.run()
    assert stored_batch_name(first, job_id) == only_batch(stub).name
    wait_until(lambda: poll_due(first, job_id))
    [poll] = first.work.batch.claim("by-hand", 30.0, 1)
    poll.run()  # the batch succeeded, but this process is stopping: it stores nothing
    assert first.job_control.get(job_id).generated == 0
    first.close()

    second = gemini()
    job = wait_finished(second, job_id)

    assert (job.status, job.generated) == (JobStatus.DONE, 3)
    assert face_calls(stub) == []  # the results were read again, not drawn again
    assert second.budget.summary().today["default"] == pytest.approx(3 * HALF)



def test_a_result_kept_just_before_a_crash_is_done_and_paid_once(gemini, stub):
    first = gemini()
    register(first, *AGENTS)
    stub.batches.walk("succeeded")
    job_id = wait_finished(first, first.generate_defaults(batch=True).id).id
    kept = first.current_version("nova")
    with first.engine.begin() as conn:  # what a crash right after keeping nova's face leaves
        conn.execute(job_items.update().where(job_items.c.job_id == job_id,
                                              job_items.c.agent_name == "nova")
                     .values(status="pending"))
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(
            status="running", finished_at=None, summary="", poll_after=utcnow()))
    first.close()

    second = gemini()
    job = wait_finished(second, job_id)

    assert (job.status, job.generated, job.skipped) == (JobStatus.DONE, 3, 0)
    assert second.current_version("nova") == kept
    assert face_calls(stub) == [] and versions_per_agent(second) == {n: 1 for n in AGENTS}
    assert second.budget.summary().today["default"] == pytest.approx(3 * HALF)  # not recorded twice

# --- items the batch did not draw -------------------------------------------------------------


def test_items_the_batch_failed_or_did_not_return_fall_back_to_one_call_each(gemini, stub):
    service = gemini()
    register(service, *AGENTS)
    stub.batches.walk("running")
    stub.push("finish", reason="IMAGE_SAFETY")  # the batch's first item is blocked
    job_id = service.generate_defaults(batch=True).id
    wait_until(lambda: bool(stub.batches.created))
    record = only_batch(stub)
    # ... and its last item never comes back at all
    record.items, record.results = record.items[:-1], record.results[:-1]
    record.walk = ("running", "succeeded")

    job = wait_finished(service, job_id)

    assert (job.status, job.generated, job.failed) == (JobStatus.DONE, 3, 0)
    assert len(face_calls(stub)) == 2  # the blocked item and the missing one, one call each
    assert versions_per_agent(service) == {name: 1 for name in AGENTS}
    assert service.budget.summary().today["default"] == pytest.approx(HALF + 2 * FLASH)


@pytest.mark.parametrize("ending", ["failed", "expired", "cancelled"])
def test_a_batch_that_ends_without_results_draws_every_item_by_normal_calls(
        gemini, stub, ending):
    service = gemini()
    register(service, *AGENTS)
    stub.batches.walk("pending", ending)

    job = wait_finished(service, service.generate_defaults(batch=True).id)

    assert (job.status, job.generated, job.failed) == (JobStatus.DONE, 3, 0)
    assert only_batch(stub).state == ending
    assert len(face_calls(stub)) == 3
    assert service.budget.summary().today["default"] == pytest.approx(3 * FLASH)  # full price


def test_a_batch_that_cannot_be_created_falls_back_at_once(gemini, stub):
    service = gemini()
    register(service, *AGENTS)
    # The batch API refuses to create it (the real GeminiBatches against a closed port).
    service.work.batch.batches = lambda: GeminiBatches(GEMINI_KEY, base_url=refused_url(),
                                                       timeout_s=5)

    job = wait_finished(service, service.generate_defaults(batch=True).id)

    assert (job.status, job.generated) == (JobStatus.DONE, 3)
    assert len(face_calls(stub)) == 3


# --- refusals, the budget, a person's choice --------------------------------------------------


def test_batch_mode_with_the_builtin_renderer_is_400_and_creates_no_job(make_service):
    service = make_service(AVATARS_ADMIN_TOKEN=ADMIN)
    service.work.shutdown()
    register(service, *AGENTS)
    client = TestClient(create_api(lambda: service))

    refused = client.post("/agents/avatars/generate-defaults?mode=batch", headers=ADMIN_AUTH)

    assert refused.status_code == 400, refused.text
    assert "Batch mode needs Gemini" in refused.json()["detail"]
    with pytest.raises(BadRequest):
        service.generate_defaults(batch=True)
    assert service.latest_defaults_job() is None


def spent_already(service: AvatarService, usd: float) -> None:
    """Today's ledger holds ``usd`` of earlier calls."""
    service.budget.record(CallKind.AVATAR, "gemini", "gemini-3.1-flash-image", usd)


def test_a_batch_waits_for_a_budget_that_cannot_pay_for_it(gemini, stub):
    # a day's budget holds the batch, but only two images at batch price are left today:
    # nothing may be submitted
    service = gemini(AVATARS_DAILY_BUDGET_USD=str(4 * HALF))
    spent_already(service, 2 * HALF)
    register(service, *AGENTS)
    job_id = service.generate_defaults(batch=True).id
    # The whole batch does not fit: background work waits, and the job says so.
    wait_until(lambda: service.job_control.get(job_id).status == JobStatus.PAUSED)
    assert stub.batches.created == [] and stored_batch_name(service, job_id) is None
    assert not service.job_control.get(job_id).finished
    assert service.work.batch.waiting_cost() == pytest.approx(3 * HALF)

    service.set_daily_budget(1.0)
    job = wait_finished(service, job_id)
    assert service.work.batch.waiting_cost() == 0.0
    assert (job.status, job.generated) == (JobStatus.DONE, 3)
    assert only_batch(stub).source == "inline" and face_calls(stub) == []


def test_a_batch_waiting_for_the_budget_shows_as_paused(gemini, stub):
    service = gemini(AVATARS_DAILY_BUDGET_USD=str(4 * HALF))
    spent_already(service, 2 * HALF)
    register(service, *AGENTS)
    job_id = service.generate_defaults(batch=True).id
    wait_until(service.work.idle)
    job = service.job_control.get(job_id)
    assert job.status is JobStatus.PAUSED
    assert f"less than the next step's ${3 * HALF:.2f}" in (job.paused_reason or "")


def test_a_batch_result_for_an_agent_that_got_a_custom_avatar_meanwhile_is_not_kept(gemini, stub):
    service = gemini()
    register(service, *AGENTS)
    stub.batches.walk("running")
    job_id = service.generate_defaults(batch=True).id
    wait_until(lambda: bool(stub.batches.created))
    service.generate("nova", "a custom purple robot")  # a person chose nova's face meanwhile
    custom = service.current_version("nova")
    only_batch(stub).walk = ("running", "succeeded")

    job = wait_finished(service, job_id)

    assert (job.generated, job.skipped) == (2, 1)
    assert service.current_version("nova") == custom
    assert count_rows(service, avatar_versions) == 3
