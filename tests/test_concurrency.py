"""Real threads against one service: one consistent current avatar, no orphan files."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from avatar_core.foundation.errors import AvatarError, NotFound
from tests.helpers import wait_until, work_settled


def run_together(*targets):
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def wrap(fn):
        def go():
            barrier.wait()
            try:
                fn()
            except BaseException as exc:  # collected and asserted on below
                errors.append(exc)
        return go

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_two_threads_generating_for_one_agent_end_consistent(service):
    service.agents.register("atlas")
    errors = run_together(lambda: service.generate("atlas", "a red robot"),
                          lambda: service.generate("atlas", "a blue robot"))
    assert errors == []
    versions = service.versions("atlas")
    assert len(versions) == 2 and sum(v.current for v in versions) == 1
    current = next(v for v in versions if v.current)
    assert service.images.avatar("atlas").digest == current.display_blob.split(".")[0]
    wait_until(lambda: work_settled(service), timeout=300)
    assert service.files.referenced() == set(service.blobs.names())  # no orphans


def test_generate_racing_delete_leaves_no_orphans(service):
    service.agents.register("atlas")
    errors = run_together(lambda: service.generate("atlas", "a robot"),
                          lambda: service.delete_agent("atlas"))
    assert all(isinstance(e, AvatarError) for e in errors)  # NotFound for the loser, if any
    wait_until(lambda: work_settled(service), timeout=300)
    assert service.files.referenced() == set(service.blobs.names())


def test_planning_emotions_for_an_agent_deleted_meanwhile_is_a_no_op(make_service):
    """The narrow end of the race above: a generation read its new version, then the agent
    was deleted before its emotion rows went in (once a 500 on a busy machine)."""
    service = make_service(resume=False)
    service.agents.register("atlas")
    version = service.generate("atlas", "a robot")
    service.delete_agent("atlas")
    assert service.variants.plan(version.agent_id, version) == 0


def test_an_activity_for_an_agent_deleted_meanwhile_is_not_found(service):
    """Recording read the agent, then it was deleted: a 404, not a foreign-key error."""
    service.agents.register("atlas")
    atlas = service.agents.get("atlas")
    service.delete_agent("atlas")
    now = datetime.now(UTC)
    with pytest.raises(NotFound):
        service.activities.record(atlas, started_at=now, ended_at=None, kind="task",
                                  status="running")
    with pytest.raises(NotFound):
        service.activities.record_many([{"agent_name": "atlas", "started_at": now,
                                         "kind": "task", "status": "running"}],
                                       {"atlas": atlas.id})


@pytest.mark.parametrize("workers", [4])
def test_parallel_generations_for_different_agents(service, workers):
    for i in range(workers):
        service.agents.register(f"agent-{i}")
    errors = run_together(*[
        (lambda n=i: service.generate(f"agent-{n}", f"robot {n}")) for i in range(workers)])
    assert errors == []
    assert all(service.agents.get(f"agent-{i}").has_avatar for i in range(workers))
