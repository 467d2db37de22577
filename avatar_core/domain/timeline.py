"""The Dashboard Timeline: activity shaped into rows, bars and ticks (no HTML here).

Pure pandas, so the page stays a description of the screen and the shaping is tested and
benchmarked on its own. ``build_timeline`` works on whole columns (one filter, one clip, one
groupby) and touches Python objects only for the bars it returns.

Row status (``TimelineRow.status``), as of ``now``:

- ``running`` — the agent has an activity without an end (or ending after ``now``);
- ``error``   — not running, and its most recently ended activity failed;
- ``idle``    — everything else: last run succeeded or was cancelled, or no activity at all.

Rows are ordered system agents first, then by display name (case-insensitive): a stable order,
so rows do not jump around when statuses change on every refresh.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from . import time_labels
from .tiles import TileAgent, run_summary

__all__ = [
    "MAX_BARS_PER_ROW",
    "MIN_BAR_PCT",
    "ROW_STATUSES",
    "STATUS_ERROR",
    "STATUS_IDLE",
    "STATUS_RUNNING",
    "WINDOWS",
    "Bar",
    "Timeline",
    "TimelineRow",
    "build_timeline",
]

WINDOWS: dict[str, timedelta] = {
    "1 h": timedelta(hours=1),
    "6 h": timedelta(hours=6),
    "24 h": timedelta(hours=24),
    "7 d": timedelta(days=7),
}

STATUS_RUNNING = "running"
STATUS_ERROR = "error"
STATUS_IDLE = "idle"
ROW_STATUSES: tuple[str, ...] = (STATUS_RUNNING, STATUS_ERROR, STATUS_IDLE)

# A 20-second chat in a 7-day window is 0.003 % wide: keep every bar visible and hoverable.
MIN_BAR_PCT = 0.4
# Above this many bars a row is merged into MAX_BARS_PER_ROW equal time buckets (one bar each,
# worst status wins, the title counts what it holds). Keeps the HTML small for busy agents on 7 d.
MAX_BARS_PER_ROW = 300

# Which status a merged bar shows: the most important one it contains.
_STATUS_RANK = {"running": 3, "error": 2, "cancelled": 1, "success": 0}


class Bar(NamedTuple):
    """One activity (or, in a merged row, one bucket of them) placed on the track in percent.

    A NamedTuple rather than a frozen dataclass: a week of a big fleet is tens of thousands of
    bars, and tuples are several times cheaper to create.
    """

    left_pct: float
    width_pct: float
    status: str
    kind: str
    title: str


@dataclass(frozen=True)
class TimelineRow:
    """One agent: tile data, status as of now, and its bars in the window."""

    agent: TileAgent
    status: str
    success_rate: float | None  # success / (success + error) of ended runs in the window
    count: int  # activities overlapping the window, running ones included
    bars: list[Bar]

    @property
    def summary(self) -> str:
        return run_summary(self.count, self.success_rate)


@dataclass(frozen=True)
class Timeline:
    """Everything the dashboard draws: the window, its axis ticks and the rows."""

    start: datetime
    end: datetime
    ticks: list[tuple[float, str]]  # (percent from the left, label)
    rows: list[TimelineRow]

    @property
    def window(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class _Window:
    start: pd.Timestamp
    end: pd.Timestamp
    span: pd.Timedelta
    tz: tzinfo

    @property
    def with_day(self) -> bool:
        return bool(self.span > pd.Timedelta(days=1))


def build_timeline(
    agents: Sequence[TileAgent],
    activities: pd.DataFrame,
    *,
    now: datetime,
    window: timedelta,
    name_filter: str = "",
    status_filter: Collection[str] = (),
    tz: tzinfo = UTC,
    bars_for: slice | None = None,
) -> Timeline:
    """Rows for the agents passing both filters, bars clipped to ``[now - window, now]``.

    ``activities`` is an ``activity_frame``. ``name_filter`` matches name or display name,
    case-insensitively; ``status_filter`` keeps rows whose status is in it (empty keeps all).
    Times in labels and titles are shown in ``tz``. With ``bars_for`` (a page of rows) only
    those rows get their bars — the bars are most of the cost, and a page shows a few dozen
    rows of a fleet — while every row still has its status, success rate and count.
    """
    end = _as_utc(now)
    span = pd.Timedelta(window)
    frame = _Window(end - span, end, span, tz)
    needle = name_filter.strip().casefold()
    chosen = [agent for agent in agents if _matches(agent, needle)]
    # Agents as integer codes: a fleet's week is 200 000 rows, and comparing, sorting and
    # counting small integers is many times cheaper than doing it on the name strings.
    codes, names = pd.factorize(activities["agent_name"])
    in_scope = (_code_mask(names, [agent.name for agent in chosen])[codes]
                & (activities["started_at"] <= end).to_numpy(bool))
    statuses = _row_statuses(activities, codes, names, in_scope, end)
    if status_filter:
        wanted = set(status_filter)
        chosen = [agent for agent in chosen if statuses.get(agent.name, STATUS_IDLE) in wanted]
    ordered = sorted(chosen, key=lambda a: (not a.is_system, a.display_name.casefold(), a.name))
    ends, visible = _visible(activities, in_scope, frame)
    tallies = _tallies(activities, codes, names, visible, end)
    drawn = ordered if bars_for is None else ordered[bars_for]
    shown = visible & _code_mask(names, [agent.name for agent in drawn])[codes]
    bars = _bars_by_agent(activities[shown], ends[shown], codes[shown], frame)
    rows = [_row(agent, statuses, bars, tallies, frame) for agent in ordered]
    start_dt, end_dt = frame.start.to_pydatetime(), end.to_pydatetime()
    return Timeline(start_dt, end_dt, time_labels.ticks(start_dt, end_dt, tz), rows)


def _as_utc(moment: datetime) -> pd.Timestamp:
    """Naive datetimes are taken as UTC: the API and storage speak UTC."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def _matches(agent: TileAgent, needle: str) -> bool:
    return not needle or needle in agent.name.casefold() or needle in agent.display_name.casefold()


def _code_mask(names: pd.Index, wanted: Sequence[str]) -> np.ndarray:
    """A lookup table over agent codes: True for the codes of ``wanted`` names."""
    mask = np.zeros(len(names), dtype=bool)
    found = names.get_indexer(pd.Index(list(wanted), dtype=object))
    mask[found[found >= 0]] = True
    return mask


def _row_statuses(frame: pd.DataFrame, codes: np.ndarray, names: pd.Index,
                  in_scope: np.ndarray, end: pd.Timestamp) -> dict[str, str]:
    """Status as of ``end`` of each agent with activity in scope (see the module docstring)."""
    ended = frame["ended_at"]
    unfinished = (ended.isna() | (ended > end)).to_numpy(bool)
    finished = in_scope & ~unfinished
    agent, stops = codes[finished], ended.to_numpy("datetime64[ns]")[finished]
    failed = (frame["status"] == "error").to_numpy(bool)[finished]
    # Ended runs by agent, then by end (stable: a tie goes to the later row); the last one of
    # each agent is its latest.
    order = np.lexsort((stops, agent))
    agent, failed = agent[order], failed[order]
    last = np.r_[agent[1:] != agent[:-1], True] if len(agent) else np.zeros(0, dtype=bool)
    statuses = {str(names[code]): STATUS_ERROR if bad else STATUS_IDLE
                for code, bad in zip(agent[last].tolist(), failed[last].tolist(), strict=True)}
    for code in np.unique(codes[in_scope & unfinished]).tolist():
        statuses[str(names[code])] = STATUS_RUNNING
    return statuses


def _visible(activities: pd.DataFrame, in_scope: np.ndarray,
             window: _Window) -> tuple[pd.Series, np.ndarray]:
    """Every activity's end clipped to the window, and which ones overlap the window."""
    ends: Any = activities["ended_at"].fillna(window.end)
    ends = ends.where(ends <= window.end, window.end)
    return ends, in_scope & (ends > window.start).to_numpy(bool)


def _bars_by_agent(frame: pd.DataFrame, ends: pd.Series, codes: np.ndarray,
                   window: _Window) -> dict[str, list[Bar]]:
    """Every activity drawn as a bar in percent of the track, with its hover title, in order
    of agent then start."""
    order = np.lexsort((frame["started_at"].to_numpy("datetime64[ns]"), codes))
    frame, ends = frame.iloc[order], ends.iloc[order]
    began: Any = frame["started_at"]
    left = ((began.where(began >= window.start, window.start) - window.start)
            / window.span * 100).to_numpy(float)
    right = ((ends - window.start) / window.span * 100).to_numpy(float)
    width = np.maximum(right - left, MIN_BAR_PCT)
    left = np.clip(np.minimum(left, 100 - width), 0, None)
    bars: dict[str, list[Bar]] = {}
    for name, bar_left, bar_width, status, kind, title in zip(
        frame["agent_name"].tolist(), np.round(left, 3).tolist(), np.round(width, 3).tolist(),
        frame["status"].tolist(), frame["kind"].tolist(),
        _titles(frame, ends, window).tolist(), strict=True,
    ):
        bars.setdefault(name, []).append(Bar(bar_left, bar_width, status, kind, title))
    return bars


def _titles(frame: pd.DataFrame, ends: pd.Series, window: _Window) -> np.ndarray:
    """"chat · success · 11:15–11:30 (15 min) — summary", built column-wise."""
    done = (frame["ended_at"].notna() & (frame["ended_at"] <= window.end)).to_numpy(bool)
    began = time_labels.local_minutes(frame["started_at"], window.tz)
    stopped = time_labels.local_minutes(ends, window.tz)
    next_day = began // 1440 != stopped // 1440
    stop_text = np.where(next_day & window.with_day, time_labels.clock_labels(stopped, True),
                         time_labels.clock_labels(stopped, False))
    seconds = (frame["ended_at"].fillna(window.end) - frame["started_at"]).dt.total_seconds()
    summaries = frame["summary"].to_numpy(dtype=object)
    titles: np.ndarray = (
        frame["kind"].to_numpy(dtype=object) + " · " + frame["status"].to_numpy(dtype=object)
        + " · " + time_labels.clock_labels(began, window.with_day)
        + "–" + np.where(done, stop_text, "now")
        + " (" + time_labels.duration_labels(seconds.to_numpy()) + ")"
        + np.where(summaries != "", " — " + summaries, "")
    )
    return titles


def _tallies(frame: pd.DataFrame, codes: np.ndarray, names: pd.Index, visible: np.ndarray,
             end: pd.Timestamp) -> dict[str, dict[str, Any]]:
    """Per agent: activities in the window, and how many of the ended ones succeeded/failed."""
    ended = frame["ended_at"]
    finished = (ended.notna() & (ended <= end)).to_numpy(bool)
    status = frame["status"]
    ok = visible & finished & (status == "success").to_numpy(bool)
    bad = visible & finished & (status == "error").to_numpy(bool)
    size = len(names)
    counts = [np.bincount(codes[mask], minlength=size) for mask in (visible, ok, bad)]
    return {str(names[code]): {"count": int(counts[0][code]), "ok": int(counts[1][code]),
                               "bad": int(counts[2][code])}
            for code in np.flatnonzero(counts[0]).tolist()}


def _row(agent: TileAgent, statuses: dict[str, str], bars_by_agent: dict[str, list[Bar]],
         tallies: dict[str, dict[str, Any]], window: _Window) -> TimelineRow:
    bars = bars_by_agent.get(agent.name, [])
    if len(bars) > MAX_BARS_PER_ROW:
        bars = _merge_bars(bars, window)
    rate, count = None, 0
    if (tally := tallies.get(agent.name)) is not None:
        count = int(tally["count"])
        judged = int(tally["ok"]) + int(tally["bad"])
        rate = int(tally["ok"]) / judged if judged else None
    return TimelineRow(agent, statuses.get(agent.name, STATUS_IDLE), rate, count, bars)


def _merge_bars(bars: list[Bar], window: _Window) -> list[Bar]:
    """At most MAX_BARS_PER_ROW bars: one per equal time bucket, worst status shown."""
    bucket_pct = 100 / MAX_BARS_PER_ROW
    groups: dict[int, list[Bar]] = {}
    for bar in bars:
        groups.setdefault(min(int(bar.left_pct / bucket_pct), MAX_BARS_PER_ROW - 1), []).append(bar)
    return [group[0] if len(group) == 1 else _merged(group, window) for group in groups.values()]


def _merged(group: list[Bar], window: _Window) -> Bar:
    start, span = window.start.to_pydatetime(), window.span.to_pytimedelta()
    left = min(bar.left_pct for bar in group)
    right = max(bar.left_pct + bar.width_pct for bar in group)
    status = max((bar.status for bar in group), key=lambda s: _STATUS_RANK.get(s, 0))
    kinds = {bar.kind for bar in group}
    tally: dict[str, int] = {}
    for bar in group:
        tally[bar.status] = tally.get(bar.status, 0) + 1
    first = (start + span * (left / 100)).astimezone(window.tz)
    last = (start + span * (right / 100)).astimezone(window.tz)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(tally.items()))
    title = (f"{len(group)} activities · {counts} · "
             f"{time_labels.clock(first, window.with_day)}–{time_labels.clock(last, False)} "
             "(choose a shorter window for detail)")
    return Bar(left, right - left, status, kinds.pop() if len(kinds) == 1 else "mixed", title)
