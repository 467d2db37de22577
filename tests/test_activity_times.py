"""Activity times through the API and the timeline: out-of-range times name their field, rows
the timeline cannot place are skipped (and logged), and activities are deleted all at once or
those before a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from avatar_core.domain.tiles import TileAgent
from avatar_core.domain.timeline import build_timeline
from avatar_core.storage.schema import activities
from tests.conftest import ADMIN, Client

AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def api(make_client: Callable[..., Client]) -> Client:
    client, service = make_client()
    service.agents.register("atlas")
    return client, service


def activity(started: datetime, ended: datetime | None, status: str = "success") -> dict[str, Any]:
    return {"started_at": started.isoformat(), "ended_at": ended and ended.isoformat(),
            "kind": "task", "status": status}


def test_activity_times_out_of_range_name_their_field(api):
    client, service = api
    now = datetime.now(UTC)
    far_future = client.post("/agents/atlas/activities", headers=AUTH, json={
        **activity(now, None), "ended_at": "9999-12-31T00:00:00Z"})
    assert far_future.status_code == 400, far_future.text
    assert far_future.json()["detail"].startswith("ended_at is out of range")
    long_ago = client.post("/agents/atlas/activities", headers=AUTH,
                           json=activity(datetime(1900, 1, 1, tzinfo=UTC), now))
    assert long_ago.status_code == 400, long_ago.text
    assert long_ago.json()["detail"].startswith("started_at is out of range")
    assert len(service.activities.frame()) == 0
    fine = client.post("/agents/atlas/activities", headers=AUTH,
                       json=activity(now - timedelta(days=30), now))
    assert fine.status_code == 201, fine.text


def test_the_timeline_skips_rows_it_cannot_place(api, caplog):
    client, service = api
    now = datetime.now(UTC)
    client.post("/agents/atlas/activities", headers=AUTH,
                json=activity(now - timedelta(minutes=5), now))
    agent_id = service.agents.get("atlas").id
    with service.engine.begin() as conn:  # rows from before validation existed
        conn.execute(activities.insert(), [
            {"agent_id": agent_id, "started_at": datetime(9999, 12, 31), "ended_at": None,
             "kind": "task", "status": "running", "summary": "far future"},
            {"agent_id": agent_id, "started_at": now - timedelta(minutes=1),
             "ended_at": datetime(9999, 12, 31), "kind": "task", "status": "success",
             "summary": "ends never"},
            {"agent_id": agent_id, "started_at": datetime(1200, 1, 1), "ended_at": None,
             "kind": "task", "status": "running", "summary": "middle ages"}])
    with caplog.at_level(logging.WARNING, logger="avatar_core"):
        frame = service.activities.frame()
        recent = service.activities.frame(since=now - timedelta(hours=1))
    assert list(frame["summary"]) == [""]  # the placeable row only
    assert list(recent["summary"]) == [""]
    assert any("Skipped 3 activities" in r.getMessage() for r in caplog.records)
    timeline = build_timeline([TileAgent.from_agent(service.agents.get("atlas"))], frame,
                              now=now, window=timedelta(hours=1))
    assert [len(row.bars) for row in timeline.rows] == [1]


def test_delete_activities_all_or_before(api):
    client, service = api
    now = datetime.now(UTC)
    for minutes in (50, 30, 10):
        started = now - timedelta(minutes=minutes)
        assert client.post("/agents/atlas/activities", headers=AUTH,
                           json=activity(started, started + timedelta(minutes=1))
                           ).status_code == 201
    assert client.delete("/agents/atlas/activities").status_code == 401
    cutoff = (now - timedelta(minutes=20)).isoformat()
    older = client.delete("/agents/atlas/activities", params={"before": cutoff}, headers=AUTH)
    assert older.status_code == 200, older.text
    assert older.json() == {"agent_name": "atlas", "deleted": 2}
    assert len(service.activities.frame()) == 1
    assert client.delete("/agents/atlas/activities", headers=AUTH).json()["deleted"] == 1
    assert len(service.activities.frame()) == 0
    assert client.delete("/agents/nobody/activities", headers=AUTH).status_code == 404
    numeric = client.delete("/agents/atlas/activities", params={"before": "0.5"}, headers=AUTH)
    assert numeric.status_code == 422 and "ISO 8601" in numeric.json()["detail"]
