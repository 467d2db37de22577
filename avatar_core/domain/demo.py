"""Demo agents and a plausible day of their activity, so a first start shows a living dashboard.

Everything here is deterministic: the same seed and ``now`` give the same activity, so screenshots
and tests are stable.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..foundation.keys import seed_for
from ..foundation.models import AGENT_TYPES, ActivityStatus

__all__ = ["DEMO_AGENTS", "DemoAgent", "demo_activities"]


@dataclass(frozen=True)
class DemoAgent:
    """An agent seeded on an empty database when demo mode is on."""

    name: str
    display_name: str
    type: str
    description: str
    avatar_prompt: str | None = None
    is_system: bool = False


DEMO_AGENTS: tuple[DemoAgent, ...] = (
    DemoAgent(
        "orchestrator", "Orchestrator", "other",
        "Routes incoming work to the right agent and keeps an eye on the queues.",
        "A calm conductor robot with a brushed-steel face and a violet visor",
        is_system=True,
    ),
    DemoAgent(
        "guardian", "Guardian", "other",
        "Checks every outgoing answer against policy and redacts secrets before it leaves.",
        "A friendly knight-like android with a shield emblem on its chest",
        is_system=True,
    ),
    DemoAgent(
        "ledger-bot", "Ledger Bot", "business-assistant",
        "Reconciles supplier invoices with bank statements and flags mismatches.",
        "A tidy accountant robot with round spectacles and a green visor",
    ),
    DemoAgent(
        "sales-scout", "Sales Scout", "business-assistant",
        "Answers pricing and plan questions from prospects in the website chat.",
    ),
    DemoAgent(
        "support-sage", "Support Sage", "business-assistant",
        "Drafts first replies to customer support tickets for the help desk.",
    ),
    DemoAgent(
        "code-reviewer", "Code Reviewer", "code-assistant",
        "Reviews pull requests for bugs, style problems and missing tests.",
        "A sharp-eyed android with a monocle made of code brackets",
    ),
    DemoAgent(
        "ci-medic", "CI Medic", "code-assistant",
        "Investigates failing CI builds and proposes a fix as a pull request.",
    ),
    DemoAgent(
        "paper-trail", "Paper Trail", "research-assistant",
        "Summarises new papers and analyst reports for the product team.",
        "A curious librarian robot with paper-white panels and amber eyes",
    ),
    DemoAgent(
        "market-lens", "Market Lens", "research-assistant",
        "Tracks competitor launches and pricing changes every day.",
    ),
    DemoAgent(
        "copysmith", "Copysmith", "creative-assistant",
        "Writes release notes, newsletters and social posts in the house style.",
        "A cheerful typewriter-inspired robot with ink-blue accents",
    ),
    DemoAgent(
        "pixel-muse", "Pixel Muse", "creative-assistant",
        "Sketches illustrations and banner ideas for marketing campaigns.",
    ),
    DemoAgent(
        "metric-owl", "Metric Owl", "data-analyst",
        "Refreshes the KPI dashboards and explains unusual movements in plain words.",
    ),
)


@dataclass(frozen=True)
class _Profile:
    """How busy an agent is: on-demand runs per day, schedule period, share of successes."""

    type: str
    per_day: int
    schedule_minutes: int | None
    success: float


# per_day + 24 h * 60 / schedule_minutes stays within 60-250 runs a day.
_PROFILES: dict[str, _Profile] = {
    "orchestrator": _Profile("other", 120, 15, 0.93),
    "guardian": _Profile("other", 150, None, 0.95),
    "ledger-bot": _Profile("business-assistant", 40, 60, 0.88),
    "sales-scout": _Profile("business-assistant", 110, None, 0.86),
    "support-sage": _Profile("business-assistant", 95, 120, 0.84),
    "code-reviewer": _Profile("code-assistant", 70, None, 0.87),
    "ci-medic": _Profile("code-assistant", 55, 30, 0.72),
    "paper-trail": _Profile("research-assistant", 40, 60, 0.9),
    "market-lens": _Profile("research-assistant", 45, 30, 0.85),
    "copysmith": _Profile("creative-assistant", 65, None, 0.86),
    "pixel-muse": _Profile("creative-assistant", 40, 60, 0.82),
    "metric-owl": _Profile("data-analyst", 50, 20, 0.88),
}

# Relative frequency of each on-demand kind (schedule runs come from the schedule itself).
_KIND_WEIGHTS: dict[str, dict[str, int]] = {
    "business-assistant": {"chat": 6, "task": 2, "mcp": 2, "manual": 1},
    "code-assistant": {"chat": 2, "task": 5, "mcp": 3, "manual": 1},
    "research-assistant": {"chat": 3, "task": 4, "mcp": 3, "manual": 1},
    "creative-assistant": {"chat": 4, "task": 4, "mcp": 1, "manual": 2},
    "data-analyst": {"chat": 3, "task": 3, "mcp": 4, "manual": 1},
    "other": {"chat": 2, "task": 3, "mcp": 5, "manual": 1},
}

# (shortest, longest) duration in seconds; drawn log-uniformly so short runs dominate.
_DURATIONS: dict[str, tuple[float, float]] = {
    "chat": (20, 8 * 60),
    "mcp": (20, 3 * 60),
    "task": (2 * 60, 40 * 60),
    "schedule": (30, 10 * 60),
    "manual": (60, 20 * 60),
}

_FILL: dict[str, tuple[str, ...]] = {
    "customer": ("ACME", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries",
                 "Wayne Corp"),
    "repo": ("billing-api", "web-app", "mobile", "infra", "data-pipeline"),
    "topic": ("retrieval-augmented agents", "pricing elasticity", "EU AI Act", "vector databases",
              "churn prediction", "on-device models"),
    "metric": ("weekly active users", "conversion", "churn", "revenue", "NPS", "ticket backlog"),
    "campaign": ("spring launch", "webinar", "product update", "holiday sale"),
    "agent": tuple(agent.name for agent in DEMO_AGENTS[2:]),
    "tool": ("GitHub", "Jira", "Salesforce", "Slack", "Google Drive", "Postgres"),
}

_SUMMARIES: dict[str, dict[str, tuple[str, ...]]] = {
    "business-assistant": {
        "chat": ("Answered a pricing question for {customer}",
                 "Explained plan limits to {customer}",
                 "Helped {customer} update billing details"),
        "task": ("Drafted a renewal offer for {customer}",
                 "Reconciled {n} invoices from {customer}"),
        "mcp": ("Looked up {customer} in Salesforce", "Logged a call note for {customer} in Slack"),
        "schedule": ("Synced CRM contacts", "Sent the daily overdue-invoice digest"),
        "manual": ("Re-ran the quote for {customer} on request",),
    },
    "code-assistant": {
        "chat": ("Explained a failing test in {repo}", "Suggested a refactor for {repo}"),
        "task": ("Reviewed PR #{pr} in {repo}", "Opened a fix for a flaky test in {repo}"),
        "mcp": ("Fetched CI logs for {repo} from {tool}", "Commented on PR #{pr} via {tool}"),
        "schedule": ("Checked {repo} main for new failures", "Scanned dependencies of {repo}"),
        "manual": ("Re-ran the review of PR #{pr} in {repo}",),
    },
    "research-assistant": {
        "chat": ("Answered a question about {topic}", "Compared two sources on {topic}"),
        "task": ("Summarised {n} new papers on {topic}", "Wrote a briefing on {topic}"),
        "mcp": ("Searched the web for {topic}", "Saved notes on {topic} to {tool}"),
        "schedule": ("Checked feeds for new reports on {topic}",
                     "Refreshed the competitor watchlist"),
        "manual": ("Deep dive on {topic} requested by product",),
    },
    "creative-assistant": {
        "chat": ("Brainstormed taglines for the {campaign}", "Reworded a headline for {customer}"),
        "task": ("Wrote release notes for {repo}", "Drafted {n} social posts for the {campaign}"),
        "mcp": ("Uploaded banner drafts to {tool}", "Pulled brand assets from {tool}"),
        "schedule": ("Prepared the weekly newsletter outline", "Queued scheduled social posts"),
        "manual": ("Redid the {campaign} banner on request",),
    },
    "data-analyst": {
        "chat": ("Explained the dip in {metric}", "Answered a question about {metric}"),
        "task": ("Built a cohort report on {metric}", "Forecast {metric} for next quarter"),
        "mcp": ("Queried {metric} from {tool}", "Exported {metric} chart to {tool}"),
        "schedule": ("Refreshed the {metric} dashboard", "Checked {metric} for anomalies"),
        "manual": ("Recomputed {metric} after a data fix",),
    },
    "other": {
        "chat": ("Answered a question about agent status", "Explained a routing decision"),
        "task": ("Ran housekeeping on the task queue", "Rebalanced work across {n} agents"),
        "mcp": ("Called {tool} on behalf of {agent}", "Checked the health of {agent}"),
        "schedule": ("Heartbeat check of all agents", "Cleaned up stale jobs"),
        "manual": ("Restarted {agent} on request",),
    },
}

# The system agents get their own words: they describe the platform, not a business job.
_SUMMARIES_BY_NAME: dict[str, dict[str, tuple[str, ...]]] = {
    "orchestrator": {
        "chat": ("Told ops which agent handles {customer}",),
        "task": ("Routed a ticket from {customer} to {agent}", "Split a request into {n} subtasks"),
        "mcp": ("Handed a {tool} event to {agent}", "Checked the health of {agent}"),
        "schedule": ("Heartbeat check of all agents", "Drained the retry queue"),
        "manual": ("Paused {agent} for maintenance",),
    },
    "guardian": {
        "chat": ("Explained why an answer to {customer} was held back",),
        "task": ("Reviewed an answer by {agent} for policy", "Redacted an API key in a reply"),
        "mcp": ("Scanned a {tool} message from {agent} for PII", "Approved an outgoing reply"),
        "schedule": ("Audited yesterday's blocked replies",),
        "manual": ("Released a held reply to {customer} after review",),
    },
}

_FAILURES = ("upstream timeout", "rate limited", "tool returned 500", "invalid input")
_CANCELS = ("cancelled by user", "superseded by a newer run")


def _profile(name: str) -> _Profile:
    """The demo profile of a known agent, else a stable one derived from the name."""
    if name in _PROFILES:
        return _PROFILES[name]
    seed = seed_for("demo-profile", name)
    return _Profile(
        type=AGENT_TYPES[seed % len(AGENT_TYPES)],
        per_day=60 + seed % 120,
        schedule_minutes=(None, 30, 60, 120)[(seed >> 8) % 4],
        success=0.85,
    )


def _summary(rng: random.Random, name: str, agent_type: str, kind: str, status: str) -> str:
    templates = _SUMMARIES_BY_NAME.get(name, _SUMMARIES[agent_type])[kind]
    values = {key: rng.choice(options) for key, options in _FILL.items()}
    text = rng.choice(templates).format(n=rng.randint(2, 12), pr=rng.randint(100, 999), **values)
    if status == ActivityStatus.ERROR:
        return f"{text} — failed: {rng.choice(_FAILURES)}"
    if status == ActivityStatus.CANCELLED:
        return f"{text} — {rng.choice(_CANCELS)}"
    return text


def _duration(rng: random.Random, kind: str) -> timedelta:
    low, high = _DURATIONS[kind]
    return timedelta(seconds=round(math.exp(rng.uniform(math.log(low), math.log(high)))))


def _status(rng: random.Random, success: float) -> str:
    roll = rng.random()
    if roll < success:
        return ActivityStatus.SUCCESS.value
    # Of the rest, most are errors; a few were cancelled.
    return (ActivityStatus.ERROR if roll < success + (1 - success) * 0.7
            else ActivityStatus.CANCELLED).value


def _busyness(moment: datetime) -> float:
    """Relative load at a moment: working hours (08-18 UTC, weekdays) are about 4x busier."""
    if moment.weekday() >= 5:
        return 0.3
    return 1.0 if 8 <= moment.hour < 18 else 0.25


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def demo_activities(
    names: list[str], now: datetime, hours: float = 24, seed: int = 7
) -> list[dict[str, Any]]:
    """About a day of plausible activity for ``names``, ending at ``now``, sorted by start.

    Each agent gets schedule runs at a regular period, plus on-demand chats, tasks, MCP calls
    and manual runs that cluster in working hours. About a quarter of the agents have one run
    still going (``ended_at`` None, status running); everything else has ended by ``now``.
    """
    rng = random.Random(seed)
    now = _as_utc(now)
    start = now - timedelta(hours=hours)
    rows: list[dict[str, Any]] = []

    def add(name: str, agent_type: str, kind: str, began: datetime, status: str) -> None:
        duration = _duration(rng, kind)
        if status == ActivityStatus.RUNNING:
            ended = None
        else:
            if began + duration > now:  # finished work lies in the past: start it earlier
                began -= duration
            ended = began + duration
        rows.append({
            "agent_name": name,
            "started_at": began,
            "ended_at": ended,
            "kind": kind,
            "status": status,
            "summary": _summary(rng, name, agent_type, kind, status),
        })

    running = set(rng.sample(names, k=max(1, len(names) // 4))) if names else set()
    for name in names:
        profile = _profile(name)
        if profile.schedule_minutes:
            period = timedelta(minutes=profile.schedule_minutes)
            tick = start + period * rng.random()
            while tick < now:
                began = tick + timedelta(seconds=rng.uniform(0, 20))
                add(name, profile.type, "schedule", began, _status(rng, profile.success))
                tick += period
        weights = _KIND_WEIGHTS[profile.type]
        kinds, kind_weights = list(weights), list(weights.values())
        for _ in range(round(profile.per_day * hours / 24)):
            while True:  # rejection sampling: accept a moment in proportion to its busyness
                began = start + timedelta(seconds=rng.uniform(0, hours * 3600))
                if rng.random() < _busyness(began):
                    break
            kind = rng.choices(kinds, kind_weights)[0]
            add(name, profile.type, kind, began, _status(rng, profile.success))
        if name in running:
            kind = rng.choices(kinds, kind_weights)[0]
            began = now - timedelta(seconds=rng.uniform(30, 15 * 60))
            add(name, profile.type, kind, began, ActivityStatus.RUNNING.value)
    rows.sort(key=lambda row: (row["started_at"], row["agent_name"]))
    return rows
