from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from avatar_core.domain.demo import DEMO_AGENTS, demo_activities
from avatar_core.foundation.models import AGENT_TYPES, NAME_PATTERN, ActivityKind, ActivityStatus
from bench.fleet import scale_activities

# A Wednesday afternoon: the day before it holds both working hours and a night.
NOW = datetime(2025, 5, 28, 15, 30, tzinfo=UTC)
NAMES = [agent.name for agent in DEMO_AGENTS]
KINDS = {kind.value for kind in ActivityKind}
STATUSES = {status.value for status in ActivityStatus}


def test_twelve_agents_of_every_type():
    assert len(DEMO_AGENTS) == 12
    assert {agent.type for agent in DEMO_AGENTS} == set(AGENT_TYPES)
    assert len(set(NAMES)) == 12


def test_exactly_two_system_agents():
    assert sorted(agent.name for agent in DEMO_AGENTS if agent.is_system) == [
        "guardian",
        "orchestrator",
    ]


def test_names_are_valid_slugs_and_texts_are_filled():
    for agent in DEMO_AGENTS:
        assert NAME_PATTERN.fullmatch(agent.name), agent.name
        assert agent.display_name.strip()
        assert agent.description.endswith(".")
        assert agent.description.count(". ") == 0  # one sentence
    with_prompt = sum(agent.avatar_prompt is not None for agent in DEMO_AGENTS)
    assert 4 <= with_prompt <= 8


def test_activities_are_deterministic():
    assert demo_activities(NAMES, NOW) == demo_activities(NAMES, NOW)
    assert demo_activities(NAMES, NOW, seed=8) != demo_activities(NAMES, NOW)


def test_activities_are_plausible():
    rows = demo_activities(NAMES, NOW)
    for row in rows:
        assert set(row) == {"agent_name", "started_at", "ended_at", "kind", "status", "summary"}
        assert row["agent_name"] in NAMES
        assert row["kind"] in KINDS
        assert row["status"] in STATUSES
        assert row["summary"] and "{" not in row["summary"]
        assert NOW - timedelta(hours=24) <= row["started_at"] <= NOW
        assert (row["ended_at"] is None) == (row["status"] == "running")
        if row["ended_at"] is not None:
            assert row["started_at"] <= row["ended_at"] <= NOW
            duration = row["ended_at"] - row["started_at"]
            assert timedelta(seconds=20) <= duration <= timedelta(minutes=40)
    assert rows == sorted(rows, key=lambda row: (row["started_at"], row["agent_name"]))


def test_a_few_runs_are_still_going():
    running = [row for row in demo_activities(NAMES, NOW) if row["ended_at"] is None]
    assert 1 <= len(running) <= 4
    assert all(NOW - row["started_at"] <= timedelta(minutes=15) for row in running)


def test_volume_and_success_share():
    rows = demo_activities(NAMES, NOW)
    per_agent = Counter(row["agent_name"] for row in rows)
    assert set(per_agent) == set(NAMES)
    assert all(60 <= count <= 250 for count in per_agent.values()), per_agent
    share = sum(row["status"] == "success" for row in rows) / len(rows)
    assert 0.78 <= share <= 0.92


def test_schedule_runs_come_at_a_regular_period():
    starts = [
        row["started_at"]
        for row in demo_activities(NAMES, NOW)
        if row["agent_name"] == "orchestrator" and row["kind"] == "schedule"
    ]
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    assert len(starts) >= 90
    assert all(abs(gap - timedelta(minutes=15)) <= timedelta(seconds=20) for gap in gaps)


def test_working_hours_are_busier():
    on_demand = [row for row in demo_activities(NAMES, NOW) if row["kind"] != "schedule"]
    working = sum(8 <= row["started_at"].hour < 18 for row in on_demand)
    # The 24 h before NOW hold 10 working hours and 14 quiet ones.
    assert working / 10 > 2 * (len(on_demand) - working) / 14


def test_shorter_span_and_other_names():
    rows = demo_activities(["someone-else"], NOW, hours=6)
    assert rows
    assert all(row["started_at"] >= NOW - timedelta(hours=6) for row in rows)
    assert {row["agent_name"] for row in rows} == {"someone-else"}


def test_scale_activities_gives_exact_count_over_a_week():
    names = [f"agent-{index:03d}" for index in range(200)]
    rows = scale_activities(names, NOW, 20_000, seed=3)
    assert len(rows) == 20_000
    assert {row["agent_name"] for row in rows} == set(names)
    for row in rows:
        assert NOW - timedelta(days=7) <= row["started_at"] <= NOW
        assert (row["ended_at"] is None) == (row["status"] == "running")
        assert row["ended_at"] is None or row["started_at"] <= row["ended_at"] <= NOW
    assert scale_activities(names, NOW, 50, seed=3) == rows[:50]
