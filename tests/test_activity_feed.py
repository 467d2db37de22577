"""ActivityFeed on a real SQLite file: it reads only what is new, and is never wrong.

Each test compares the feed's frame with a fresh ``Activities.frame`` read of the same window —
the feed may be faster, never different — and counts what it read from the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from avatar_core.domain.activities import ActivityFeed
from avatar_core.service import AvatarService
from avatar_core.storage.schema import activities

HORIZON = timedelta(days=7)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def record(service: AvatarService, name: str, minutes_ago: float, *, length_min: float = 5,
           status: str = "success", summary: str = "") -> None:
    started = now() - timedelta(minutes=minutes_ago)
    running = status == "running"
    service.record_activity(name, started_at=started,
                            ended_at=None if running else started + timedelta(minutes=length_min),
                            kind="task", status=status, summary=summary)


def same_rows(feed_frame: pd.DataFrame, fresh: pd.DataFrame) -> None:
    """The same activities, whatever their order."""
    def key(frame: pd.DataFrame) -> list[tuple[object, ...]]:
        return sorted(map(tuple, frame.astype(str).to_numpy().tolist()))

    assert key(feed_frame) == key(fresh)
    assert list(feed_frame.columns) == list(fresh.columns)
    assert feed_frame["started_at"].dtype == fresh["started_at"].dtype


@pytest.fixture
def fleet(service: AvatarService) -> AvatarService:
    for name in ("atlas", "nova"):
        service.agents.register(name, name.title())
    for minutes in (600, 300, 120, 30):
        record(service, "atlas", minutes)
        record(service, "nova", minutes + 7, status="error")
    return service


def test_first_read_is_the_whole_horizon_then_only_new_rows(fleet: AvatarService) -> None:
    feed = ActivityFeed(fleet.activities, HORIZON)
    since = now() - HORIZON
    same_rows(feed.frame(since), fleet.activities.frame(since))
    assert (feed.full_reads, feed.rows_read) == (1, 8)

    same_rows(feed.frame(since), fleet.activities.frame(since))  # nothing new: nothing read
    assert (feed.full_reads, feed.rows_read) == (1, 8)

    record(fleet, "nova", 1, status="running", summary="triage")
    record(fleet, "atlas", 2)
    frame = feed.frame(since)
    same_rows(frame, fleet.activities.frame(since))
    assert (feed.full_reads, feed.rows_read) == (1, 10)  # the two new rows, nothing else
    assert "triage" in frame["summary"].tolist()


def test_frames_for_shorter_windows_match_a_fresh_read(fleet: AvatarService) -> None:
    feed = ActivityFeed(fleet.activities, HORIZON)
    feed.frame(now() - HORIZON)
    for hours in (1, 6, 24):
        since = now() - timedelta(hours=hours)
        same_rows(feed.frame(since), fleet.activities.frame(since))
    assert feed.full_reads == 1


def test_a_delete_makes_it_read_the_horizon_again(fleet: AvatarService) -> None:
    feed = ActivityFeed(fleet.activities, HORIZON)
    since = now() - HORIZON
    feed.frame(since)
    assert fleet.delete_activities("nova") == 4
    same_rows(feed.frame(since), fleet.activities.frame(since))
    assert feed.full_reads == 2
    assert set(feed.frame(since)["agent_name"]) == {"atlas"}


def test_a_delete_and_an_insert_between_two_reads_are_both_seen(fleet: AvatarService) -> None:
    feed = ActivityFeed(fleet.activities, HORIZON)
    since = now() - HORIZON
    feed.frame(since)
    fleet.delete_activities("atlas", before=now() - timedelta(minutes=200))
    record(fleet, "atlas", 3, summary="after the delete")
    same_rows(feed.frame(since), fleet.activities.frame(since))


def test_a_rename_files_the_rows_under_the_new_name(fleet: AvatarService) -> None:
    feed = ActivityFeed(fleet.activities, HORIZON)
    since = now() - HORIZON
    feed.frame(since)
    fleet.agents.update("atlas", new_name="atlas-2")
    frame = feed.frame(since)
    same_rows(frame, fleet.activities.frame(since))
    assert set(frame["agent_name"]) == {"atlas-2", "nova"}


def test_a_row_committed_behind_the_last_id_is_not_missed(fleet: AvatarService) -> None:
    """PostgreSQL hands out ids before commit, so id 12 may become visible after id 13."""
    feed = ActivityFeed(fleet.activities, HORIZON)
    since = now() - HORIZON
    agent_id = fleet.agents.get("atlas").id
    started = now() - timedelta(minutes=10)

    def insert(row_id: int, summary: str) -> None:
        with fleet.engine.begin() as conn:
            conn.execute(activities.insert().values(
                id=row_id, agent_id=agent_id, started_at=started,
                ended_at=started + timedelta(minutes=1), kind="chat", status="success",
                summary=summary))

    insert(20, "later id, committed first")
    feed.frame(since)
    insert(15, "earlier id, committed second")
    frame = feed.frame(since)
    assert "earlier id, committed second" in frame["summary"].tolist()
    same_rows(frame, fleet.activities.frame(since))


def test_rows_past_the_horizon_are_let_go(fleet: AvatarService) -> None:
    feed = ActivityFeed(fleet.activities, timedelta(hours=3))
    held = feed.catch_up()
    assert len(held) == 4  # the runs of the last 3 hours (120 and 30 minutes ago, both agents)
    later = feed.catch_up(now() + timedelta(hours=2, minutes=20))
    assert len(later) == 2  # only the 30-minute-old ones are still within 3 hours then
    assert feed.full_reads == 1


def test_an_empty_table_is_an_empty_frame_with_the_columns(service: AvatarService) -> None:
    feed = ActivityFeed(service.activities, HORIZON)
    frame = feed.frame(now() - HORIZON)
    assert frame.empty and list(frame.columns) == list(service.activities.frame().columns)
    service.agents.register("atlas", "Atlas")
    record(service, "atlas", 5)
    assert len(feed.frame(now() - HORIZON)) == 1
    assert feed.full_reads == 1  # a new agent is no reason to read everything again


def test_the_marker_counts_rows_up_to_an_id(fleet: AvatarService) -> None:
    marker = fleet.activities.marker()
    with fleet.engine.connect() as conn:
        top = conn.scalar(sa.select(sa.func.max(activities.c.id)))
    assert (marker.last_id, marker.rows) == (top, 8)
    assert fleet.activities.marker(through_id=top - 3).rows == 5
