"""Background work: emotion variants under stable keys, bulk defaults, retries, resumption.

Provider calls are counted at the network: the real google-genai client talks to GeminiStub.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.clock import utcnow
from avatar_core.foundation.keys import emotion_key
from avatar_core.foundation.prompts import TEMPLATE_VERSION
from avatar_core.storage.schema import emotion_variants, job_items
from tests.helpers import wait_until


def all_emotions(service, name):
    return lambda: service.emotions(name).emotions == list(EMOTIONS)


def test_new_avatar_gets_eight_variants_in_canonical_order(gemini, stub):
    service = gemini()
    service.agents.register("atlas")
    version = service.generate("atlas", "a teal robot")
    wait_until(all_emotions(service, "atlas"))
    found = service.emotions("atlas")
    assert found.pending == [] and found.failed == []
    base = version.reference_blob.split(".")[0]
    assert found.keys == {e: emotion_key(base, e, TEMPLATE_VERSION, "gemini", version.model)
                          for e in EMOTIONS}
    assert stub.calls == 1 + 8
    # every emotion call started from the reference image, inline, before the text
    emotion_requests = stub.requests[1:]
    assert all("inlineData" in r.parts[0] and "text" in r.parts[1] for r in emotion_requests)


def test_existing_keys_cost_zero_provider_calls(gemini, stub, make_service, tmp_path):
    service = gemini()
    service.agents.register("atlas")
    service.generate("atlas", "a teal robot")
    wait_until(all_emotions(service, "atlas"))
    wait_until(service.work.idle)
    calls = stub.calls
    for emotion in EMOTIONS:  # viewing
        service.images.emotion("atlas", emotion)
    service.emotions("atlas")  # listing
    service.work.ensure_emotions(service.agents.get("atlas").id)  # asking again
    service.close()
    again = gemini()  # restarting on the same data dir
    wait_until(again.work.idle)
    assert again.emotions("atlas").emotions == list(EMOTIONS)
    assert stub.calls == calls


def test_emotion_version_changes_exactly_when_the_set_changes(gemini, stub):
    stub.latency_s = 0.2
    service = gemini()
    service.agents.register("atlas")
    service.generate("atlas", "robot")
    seen = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = service.emotions("atlas")
        seen.setdefault(tuple(found.emotions), set()).add(found.version)
        if len(found.emotions) == 8:
            break
        time.sleep(0.02)
    assert all(len(versions) == 1 for versions in seen.values())
    assert len({next(iter(v)) for v in seen.values()}) == len(seen)


def test_a_new_base_gives_new_keys(gemini, stub):
    service = gemini()
    service.agents.register("atlas")
    service.generate("atlas", "robot")
    wait_until(all_emotions(service, "atlas"))
    first = service.emotions("atlas")
    service.regenerate("atlas")
    wait_until(lambda: service.emotions("atlas").emotions == list(EMOTIONS))
    second = service.emotions("atlas")
    assert set(first.keys.values()).isdisjoint(second.keys.values())
    assert first.version != second.version


def test_variants_for_a_replaced_base_are_discarded(gemini, stub):
    service = gemini(AVATARS_CONCURRENCY="2")
    service.agents.register("atlas")
    stub.push("image").push("slow", delay_s=1.0).push("slow", delay_s=1.0)
    old = service.generate("atlas", "robot")
    wait_until(lambda: stub.calls == 3)  # two of the old base's emotions are in flight
    new = service.regenerate("atlas")
    wait_until(all_emotions(service, "atlas"))
    wait_until(service.work.idle)
    with service.engine.connect() as conn:
        rows = conn.execute(sa.select(emotion_variants.c.base_blob, emotion_variants.c.status)
                            ).all()
    assert {base for base, status in rows if status == "done"} == {new.reference_blob}
    assert not [r for r in rows if r.base_blob == old.reference_blob]
    # the two in flight finished late and were dropped; the other six were never asked for
    assert stub.calls == 1 + 2 + 1 + 8


def test_emotion_failures_keep_their_reason(gemini, stub):
    service = gemini()
    service.agents.register("atlas")
    service.generate("atlas", "robot")  # the first call: the base image
    # the next eight answers are safety blocks: not retryable, kept as failures
    for _ in range(8):
        stub.push("finish", reason="IMAGE_SAFETY")
    wait_until(lambda: len(service.emotions("atlas").failed) +
               len(service.emotions("atlas").emotions) == 8)
    found = service.emotions("atlas")
    assert found.failed and {f["reason"] for f in found.failed} == {"safety_filter"}


def test_transient_failures_are_retried_honouring_the_server_delay(gemini, stub):
    service = gemini(AVATARS_CONCURRENCY="1")
    service.agents.register("atlas")
    stub.push("image")
    stub.push("rate_limited", retry_delay_s=1.5)
    stub.push("error", status=503)
    service.generate("atlas", "robot")
    started = time.monotonic()
    wait_until(all_emotions(service, "atlas"))
    assert time.monotonic() - started >= 1.5  # waited for the server's retryDelay
    assert stub.calls == 1 + 8 + 2
    assert service.emotions("atlas").failed == []


def test_bulk_defaults_target_only_agents_without_a_custom_avatar(gemini, stub):
    service = gemini()
    for name, kind in [("ledger", "business-assistant"), ("coder", "code-assistant"),
                       ("custom", "other"), ("quiet", "other")]:
        service.agents.register(name, type=kind)
    service.generate("custom", "my own design")
    custom_digest = service.images.avatar("custom").digest
    progress = []
    job = service.generate_defaults(progress=progress.append, wait=True)
    assert (job.status, job.generated, job.failed, job.skipped) == ("done", 3, 0, 1)
    assert progress and progress[-1].done == job.total
    assert service.images.avatar("custom").digest == custom_digest
    assert all(service.agents.get(n).is_default_avatar for n in ("ledger", "coder", "quiet"))
    assert "chrome and navy" in service.current_version("ledger").identity_prompt
    assert "teal circuit" in service.current_version("coder").identity_prompt

    again = service.generate_defaults(wait=True)
    assert (again.generated, again.skipped) == (0, 4)  # up-to-date defaults are skipped

    service.agents.update("quiet", description="Keeps the logs tidy")  # its default goes stale
    third = service.generate_defaults(wait=True)
    assert third.generated == 1
    assert service.current_version("quiet").identity_prompt.endswith("Keeps the logs tidy")


def test_defaults_get_emotion_variants_too(gemini, stub):
    service = gemini()
    service.agents.register("ledger", type="business-assistant")
    service.generate_defaults(wait=True)
    wait_until(all_emotions(service, "ledger"))


def test_bulk_survives_a_429_storm(gemini, stub):
    service = gemini(AVATARS_CONCURRENCY="4")
    for i in range(8):
        service.agents.register(f"agent-{i}")
    for _ in range(12):
        stub.push("rate_limited", retry_delay_s=0.5)
    job = service.generate_defaults(wait=True)
    assert (job.generated, job.failed) == (8, 0)
    assert service.work.limiter.rate_limited > 0


def test_bulk_failures_are_reported_by_reason(gemini, stub):
    service = gemini(AVATARS_CONCURRENCY="1")
    service.agents.register("alpha")
    service.agents.register("beta")
    stub.push("finish", reason="SAFETY")
    job = service.generate_defaults(wait=True)
    assert (job.generated, job.failed) == (1, 1)
    assert [(e.agent, e.reason) for e in job.errors] == [("alpha", "safety_filter")]
    assert "safety_filter: 1" in job.summary


def test_bulk_without_a_key_fails_with_not_configured(make_service):
    service = make_service(AVATARS_PROVIDER="gemini")
    service.agents.register("alpha")
    from avatar_core.foundation.errors import FailureReason, GenerationError

    with pytest.raises(GenerationError) as caught:
        service.generate_defaults(wait=True)
    assert caught.value.reason is FailureReason.NOT_CONFIGURED


def test_a_face_committed_just_before_a_crash_counts_as_drawn(make_service, tmp_path):
    """The worker died between committing a face and settling its item: the item is done (and
    its agent among the job's faces, whose emotions follow), not skipped as "up to date"."""
    data_dir = tmp_path / "data"
    first = make_service(data_dir, resume=False)  # runs no background work of its own
    for name in ("alpha", "beta", "gamma"):
        first.agents.register(name)
    job = first.generate_defaults()
    (task,) = first.work.bulk.claim("dead-replica", 60, 1)  # alpha, as a worker claims it
    task.run()
    with first.engine.begin() as conn:  # what the crash leaves: the face, the item still held
        conn.execute(job_items.update()
                     .where(job_items.c.job_id == job.id, job_items.c.agent_name == "alpha")
                     .values(status="pending", owner="dead-replica",
                             lease_until=utcnow() + timedelta(minutes=1)))
    drawn = first.current_version("alpha").id
    first.close()

    second = make_service(data_dir)
    finished = second.work.wait(job.id, timeout=120)
    assert (finished.generated, finished.skipped, finished.failed) == (3, 0, 0)
    assert second.current_version("alpha").id == drawn  # kept, not drawn a second time
    assert sorted(second.defaulted_agents(job.id)) == ["alpha", "beta", "gamma"]
