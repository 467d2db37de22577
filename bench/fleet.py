"""Fleet-sized activity for benchmarks: many rows, fast to make, less careful about realism."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from avatar_core.foundation.models import ActivityKind

__all__ = ["scale_activities"]


_SCALE_SUMMARIES = {
    "chat": "Answered a question",
    "schedule": "Ran the scheduled check",
    "task": "Finished a background task",
    "mcp": "Called a tool",
    "manual": "Ran on request",
}
_KINDS = tuple(kind.value for kind in ActivityKind)


def scale_activities(
    names: list[str], now: datetime, count: int, seed: int = 7
) -> list[dict[str, Any]]:
    """Exactly ``count`` activities spread over the 7 days before ``now``, round-robin over names.

    For benchmarks: cheap to make (well under a second for 20 000), same shape as
    ``demo_activities``. One agent in twenty has a run still going.
    """
    if not names:
        raise ValueError("scale_activities needs at least one agent name")
    rng = random.Random(seed)
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    week = 7 * 24 * 3600
    running = min(count, max(1, len(names) // 20))
    rows: list[dict[str, Any]] = []
    for index in range(count):
        kind = _KINDS[rng.randrange(len(_KINDS))]
        seconds = math.exp(rng.uniform(math.log(20), math.log(40 * 60)))
        if index < running:
            began, ended, status = now - timedelta(seconds=seconds), None, "running"
        else:
            offset = rng.uniform(seconds, week)  # ends no later than now
            began = now - timedelta(seconds=offset)
            ended = began + timedelta(seconds=seconds)
            roll = rng.random()
            status = "success" if roll < 0.85 else "error" if roll < 0.95 else "cancelled"
        rows.append({
            "agent_name": names[index % len(names)],
            "started_at": began,
            "ended_at": ended,
            "kind": kind,
            "status": status,
            "summary": _SCALE_SUMMARIES[kind],
        })
    return rows
