"""Activities: spans of agent work fed through the API, read back as one frame for the timeline.

``activity_frame`` is the one way activities become a pandas frame (UTC times, fixed columns),
whether they come from the database or from plain records; ``Activities.frame`` is the one reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.errors import BadRequest, NotFound
from ..foundation.limits import SUMMARY_MAX_CHARS
from ..foundation.models import Activity, ActivityKind, ActivityStatus, Agent, quote
from ..storage.database import inserted_id
from ..storage.schema import activities, agents

__all__ = ["COLUMNS", "Activities", "activity_frame", "check_activity"]

COLUMNS: tuple[str, ...] = ("agent_name", "started_at", "ended_at", "kind", "status", "summary")

Record = Mapping[str, Any] | Sequence[Any] | Activity


def activity_frame(records: Iterable[Record]) -> pd.DataFrame:
    """Activities as a frame with ``COLUMNS``; times UTC (naive ones are taken as UTC).

    Records may be mappings with those keys, ``Activity`` objects, or rows in column order —
    the database reader hands over times as ISO text, which pandas parses in one vectorised pass.
    """
    rows = [_as_tuple(record) for record in records]
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    for column in ("started_at", "ended_at"):
        frame[column] = _utc(frame[column])
    for column in ("agent_name", "kind", "status"):
        frame[column] = frame[column].astype(str)
    frame["summary"] = frame["summary"].fillna("").astype(str)
    return frame


def _as_tuple(record: Record) -> tuple[Any, ...]:
    if isinstance(record, Activity):
        return tuple(getattr(record, column) for column in COLUMNS)
    if isinstance(record, Mapping):
        return tuple(record.get(column) for column in COLUMNS)
    return tuple(record)


def _utc(values: pd.Series) -> pd.Series:
    if not len(values):
        return values.astype("datetime64[ns, UTC]")
    return pd.to_datetime(values, utc=True, format="ISO8601").astype("datetime64[ns, UTC]")


def check_activity(started_at: datetime, ended_at: datetime | None, kind: str,
                   status: str) -> None:
    """Refuse an activity the timeline could not draw truthfully."""
    if kind not in set(ActivityKind):
        raise BadRequest(f"Unknown activity kind {quote(str(kind))}; use one of: "
                         f"{', '.join(ActivityKind)}")
    if status not in set(ActivityStatus):
        raise BadRequest(f"Unknown activity status {quote(str(status))}; use one of: "
                         f"{', '.join(ActivityStatus)}")
    if ended_at is not None and ended_at < started_at:
        raise BadRequest("ended_at is before started_at")
    if (ended_at is None) != (status == ActivityStatus.RUNNING):
        raise BadRequest("A running activity has no ended_at; a finished one needs it")


class Activities:
    """The ``activities`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, agent: Agent, *, started_at: datetime, ended_at: datetime | None,
               kind: str, status: str, summary: str = "") -> Activity:
        check_activity(started_at, ended_at, kind, status)
        text = (summary or "")[:SUMMARY_MAX_CHARS]
        with self.engine.begin() as conn:
            new_id = inserted_id(conn.execute(activities.insert().values(
                agent_id=agent.id, started_at=started_at, ended_at=ended_at, kind=kind,
                status=status, summary=text)))
        return Activity(int(new_id), agent.name, started_at, ended_at, kind, status, text)

    def record_many(self, rows: Iterable[Mapping[str, Any]], ids_by_name: Mapping[str, int]) -> int:
        """Many activities in one transaction (imports, demo data); all are checked first."""
        values = []
        for row in rows:
            if row["agent_name"] not in ids_by_name:
                raise NotFound(f"Agent not found: {quote(str(row['agent_name']))}")
            check_activity(row["started_at"], row.get("ended_at"), row["kind"], row["status"])
            values.append({"agent_id": ids_by_name[row["agent_name"]],
                           "started_at": row["started_at"], "ended_at": row.get("ended_at"),
                           "kind": row["kind"], "status": row["status"],
                           "summary": (row.get("summary") or "")[:SUMMARY_MAX_CHARS]})
        if values:
            with self.engine.begin() as conn:
                conn.execute(activities.insert(), values)
        return len(values)

    def frame(self, since: datetime | None = None) -> pd.DataFrame:
        """Every activity still open or ending after ``since`` (all without it), as a frame."""
        query = sa.select(
            agents.c.name,
            sa.cast(activities.c.started_at, sa.String),
            sa.cast(activities.c.ended_at, sa.String),
            activities.c.kind, activities.c.status, activities.c.summary,
        ).join(agents, agents.c.id == activities.c.agent_id).order_by(activities.c.id)
        if since is not None:
            cutoff = since.astimezone(UTC).replace(tzinfo=None)
            query = query.where(sa.or_(activities.c.ended_at.is_(None),
                                       activities.c.ended_at >= cutoff))
        with self.engine.connect() as conn:
            # Plain tuples: pandas probes each SQLAlchemy Row for attributes, which is slow.
            return activity_frame(tuple(row) for row in conn.execute(query))
