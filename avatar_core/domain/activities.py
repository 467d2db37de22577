"""Activities: spans of agent work fed through the API, read back as one frame for the timeline.

``activity_frame`` is the one way activities become a pandas frame (UTC times, fixed columns),
whether they come from the database or from plain records; ``Activities.frame`` is the one reader.
``ActivityFeed`` keeps a trailing window of that frame in memory and catches it up with only the
rows that are new since it last looked, so a live dashboard over a big fleet does not re-read a
week of activity on every refresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..foundation.clock import utcnow
from ..foundation.errors import BadRequest, NotFound
from ..foundation.limits import ACTIVITY_MAX_AGE_DAYS, ACTIVITY_MAX_AHEAD_S, SUMMARY_MAX_CHARS
from ..foundation.models import Activity, ActivityKind, ActivityStatus, Agent, quote
from ..storage.database import inserted_id
from ..storage.schema import activities, agents

__all__ = ["COLUMNS", "Activities", "ActivityFeed", "FeedMarker", "activity_frame",
           "check_activity"]

COLUMNS: tuple[str, ...] = ("agent_name", "started_at", "ended_at", "kind", "status", "summary")

log = logging.getLogger("avatar_core.activities")
# What a nanosecond timestamp can hold, with a margin.
_EARLIEST = pd.Timestamp("1678-01-01", tz=UTC)
_LATEST = pd.Timestamp("2262-01-01", tz=UTC)

Record = Mapping[str, Any] | Sequence[Any] | Activity


def activity_frame(records: Iterable[Record]) -> pd.DataFrame:
    """Activities as a frame with ``COLUMNS``; times UTC (naive ones are taken as UTC).

    Records may be mappings with those keys, ``Activity`` objects, or rows in column order —
    the database reader hands over times as ISO text, which pandas parses in one vectorised pass.
    """
    rows = [_as_tuple(record) for record in records]
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    unplaceable = frame["started_at"].isna()
    for column in ("started_at", "ended_at"):
        given = frame[column].notna()
        frame[column] = _utc(frame[column])
        unplaceable |= given & frame[column].isna()
    if unplaceable.any():  # rows from before validation existed: skip them, never fail
        log.warning("Skipped %d activities whose times cannot be placed", int(unplaceable.sum()))
        frame = frame[~unplaceable].reset_index(drop=True)
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
    # A time the frame cannot hold (year 9999) becomes NaT instead of failing the whole frame.
    parsed = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    parsed = parsed.where((parsed > _EARLIEST) & (parsed < _LATEST))
    return parsed.astype("datetime64[ns, UTC]")


def check_activity(started_at: datetime, ended_at: datetime | None, kind: str,
                   status: str) -> None:
    """Refuse an activity the timeline could not draw truthfully."""
    if kind not in set(ActivityKind):
        raise BadRequest(f"Unknown activity kind {quote(str(kind))}; use one of: "
                         f"{', '.join(ActivityKind)}")
    if status not in set(ActivityStatus):
        raise BadRequest(f"Unknown activity status {quote(str(status))}; use one of: "
                         f"{', '.join(ActivityStatus)}")
    _check_time("started_at", started_at)
    if ended_at is not None:
        _check_time("ended_at", ended_at)
    if ended_at is not None and ended_at < started_at:
        raise BadRequest("ended_at is before started_at")
    if (ended_at is None) != (status == ActivityStatus.RUNNING):
        raise BadRequest("A running activity has no ended_at; a finished one needs it")


def _check_time(field: str, moment: datetime) -> None:
    """A time within a sane range around now: ``field`` names it in the error."""
    now = utcnow()
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    earliest = now - timedelta(days=ACTIVITY_MAX_AGE_DAYS)
    latest = now + timedelta(seconds=ACTIVITY_MAX_AHEAD_S)
    if not earliest <= aware <= latest:
        raise BadRequest(f"{field} is out of range: it must lie between "
                         f"{earliest:%Y-%m-%d} and {latest:%Y-%m-%d %H:%M} UTC")


@contextmanager
def _agent_must_exist() -> Iterator[None]:
    """An agent deleted between its lookup and the insert is NotFound, not a database error
    (the foreign key is the only constraint an insert here can break)."""
    try:
        yield
    except sa.exc.IntegrityError:
        raise NotFound("Agent not found") from None


class Activities:
    """The ``activities`` table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, agent: Agent, *, started_at: datetime, ended_at: datetime | None,
               kind: str, status: str, summary: str = "") -> Activity:
        check_activity(started_at, ended_at, kind, status)
        text = (summary or "")[:SUMMARY_MAX_CHARS]
        with _agent_must_exist(), self.engine.begin() as conn:
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
            with _agent_must_exist(), self.engine.begin() as conn:
                conn.execute(activities.insert(), values)
        return len(values)

    def delete(self, agent: Agent, before: datetime | None = None) -> int:
        """Remove the agent's activities (those started before ``before``); returns how many."""
        query = activities.delete().where(activities.c.agent_id == agent.id)
        if before is not None:
            query = query.where(activities.c.started_at < before)
        with self.engine.begin() as conn:
            return int(conn.execute(query).rowcount)

    def frame(self, since: datetime | None = None, *, after_id: int = 0,
              through_id: int | None = None) -> pd.DataFrame:
        """Every activity still open or ending after ``since`` (all without it), as a frame;
        only ids in ``(after_id, through_id]`` when those are given (the feed's catch-up)."""
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
        if after_id:
            query = query.where(activities.c.id > after_id)
        if through_id is not None:
            query = query.where(activities.c.id <= through_id)
        with self.engine.connect() as conn:
            # Plain tuples: pandas probes each SQLAlchemy Row for attributes, which is slow.
            return activity_frame(tuple(row) for row in conn.execute(query))

    def marker(self, through_id: int | None = None) -> FeedMarker:
        """Where the table stands: its highest id, how many rows have an id up to
        ``through_id`` (up to that highest id without it), and the agents' names."""
        with self.engine.connect() as conn:
            top = int(conn.scalar(sa.select(sa.func.max(activities.c.id))) or 0)
            rows = int(conn.scalar(sa.select(sa.func.count()).select_from(activities).where(
                activities.c.id <= (top if through_id is None else through_id))) or 0)
            names = {int(agent_id): str(name) for agent_id, name
                     in conn.execute(sa.select(agents.c.id, agents.c.name))}
        return FeedMarker(top, rows, names)


@dataclass(frozen=True)
class FeedMarker:
    """How far a reader has read: the highest activity id it holds (``last_id``), how many rows
    had an id up to it then (``rows``: a delete lowers it), and the agents' names by id (a
    rename changes the name held rows are filed under; a new agent changes nothing held)."""

    last_id: int = 0
    rows: int = 0
    names: Mapping[int, str] = field(default_factory=dict)

    def renamed_since(self, earlier: FeedMarker) -> bool:
        """An agent of ``earlier`` is gone or has another name now."""
        return any(self.names.get(agent_id) != name for agent_id, name in earlier.names.items())


class ActivityFeed:
    """The activities of the trailing ``horizon``, held in memory and caught up incrementally.

    Activities are only ever inserted or deleted, never changed in place (nothing updates the
    table; should that change, the marker must count updates too), so what is new is exactly
    what has a higher id than the feed holds. Each ``frame`` call asks the table for its marker
    (three small queries) and reads only rows past ``last_id``; a delete, a rename or an id
    committed out of order (PostgreSQL sequences) shows as a marker that does not add up, and
    the feed then reads the horizon again — so it is never wrong, only sometimes slower.
    Shared by every viewer of the process: one lock, and frames are handed out read-only.
    """

    def __init__(self, activities: Activities, horizon: timedelta) -> None:
        self.activities = activities
        self.horizon = horizon
        self.full_reads = 0  # how often the whole horizon was read (tests and the bench)
        self.rows_read = 0  # rows read from the database in all
        self._marker = FeedMarker()
        self._frame: pd.DataFrame | None = None
        self._lock = threading.Lock()

    def frame(self, since: datetime, now: datetime | None = None) -> pd.DataFrame:
        """Activities still open or ending at or after ``since`` (within the horizon)."""
        held = self.catch_up(now)
        ended = held["ended_at"]
        keep = (ended.isna() | (ended >= pd.Timestamp(since))).to_numpy(bool)
        return held if keep.all() else held[keep].reset_index(drop=True)

    def catch_up(self, now: datetime | None = None) -> pd.DataFrame:
        """Read what is new since the last call; the whole horizon on the first call or when
        the marker shows rows were deleted, renamed or committed behind ``last_id``."""
        cutoff = (now or utcnow()) - self.horizon
        with self._lock:
            held, marker = self._frame, self._marker
            current = self.activities.marker()
            if (held is None or current.renamed_since(marker)
                    or current.last_id < marker.last_id):
                return self._read_all(cutoff, current)
            if current.last_id == marker.last_id:
                if current.rows != marker.rows:
                    return self._read_all(cutoff, current)
                return self._trim(held, cutoff)
            if self.activities.marker(through_id=marker.last_id).rows != marker.rows:
                return self._read_all(cutoff, current)
            new = self.activities.frame(cutoff, after_id=marker.last_id,
                                        through_id=current.last_id)
            self.rows_read += len(new)
            # ``current.rows`` counts every row up to its top; one inserted below that top
            # after the count, or one deleted before the read, breaks the sum next time.
            self._marker = current
            combined = pd.concat([held, new], ignore_index=True) if len(new) else held
            return self._trim(combined, cutoff)

    def _read_all(self, cutoff: datetime, current: FeedMarker) -> pd.DataFrame:
        frame = self.activities.frame(cutoff, through_id=current.last_id)
        self.full_reads += 1
        self.rows_read += len(frame)
        self._marker = current
        self._frame = frame
        return frame

    def _trim(self, frame: pd.DataFrame, cutoff: datetime) -> pd.DataFrame:
        """Drop rows that ended before the horizon: memory stays bounded by the horizon."""
        ended = frame["ended_at"]
        stale = (ended.notna() & (ended < pd.Timestamp(cutoff))).to_numpy(bool)
        if stale.any():
            frame = frame[~stale].reset_index(drop=True)
        self._frame = frame
        return frame
