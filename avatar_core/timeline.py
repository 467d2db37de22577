"""The Dashboard Timeline: activity shaped into rows, bars and ticks, and the HTML that draws them.

Pure pandas and strings, no Streamlit, so the page stays a description of the screen and the
shaping is tested and benchmarked on its own. ``build_timeline`` does its work on whole columns
(one filter, one clip, one groupby) and touches Python objects only for the bars it returns; with
200 agents and 20 000 activities a 24 h window takes a few tens of milliseconds.

Row status (``TimelineRow.status``), as of ``now``:

- ``running`` — the agent has an activity without an end (or ending after ``now``);
- ``error``   — not running, and its most recently ended activity failed;
- ``idle``    — everything else: last run succeeded or was cancelled, or no activity at all.

Rows are ordered system agents first, then by display name (case-insensitive): a stable order,
so rows do not jump around when statuses change on every refresh.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .foundation.models import Activity, Agent

__all__ = [
    "COLUMNS",
    "MAX_BARS_PER_ROW",
    "MIN_BAR_PCT",
    "RING_AGENT",
    "RING_SYSTEM",
    "ROW_STATUSES",
    "STATUS_ERROR",
    "STATUS_IDLE",
    "STATUS_RUNNING",
    "WINDOWS",
    "Bar",
    "TileAgent",
    "Timeline",
    "TimelineRow",
    "activity_frame",
    "build_timeline",
    "initials",
    "initials_color",
    "render_timeline_html",
]

WINDOWS: dict[str, timedelta] = {
    "1 h": timedelta(hours=1),
    "6 h": timedelta(hours=6),
    "24 h": timedelta(hours=24),
    "7 d": timedelta(days=7),
}

COLUMNS: tuple[str, ...] = ("agent_name", "started_at", "ended_at", "kind", "status", "summary")

STATUS_RUNNING = "running"
STATUS_ERROR = "error"
STATUS_IDLE = "idle"
ROW_STATUSES: tuple[str, ...] = (STATUS_RUNNING, STATUS_ERROR, STATUS_IDLE)

# A 20-second chat in a 7-day window is 0.003 % wide: keep every bar visible and hoverable.
MIN_BAR_PCT = 0.4
# Above this many bars a row is merged into MAX_BARS_PER_ROW equal time buckets (one bar each,
# worst status wins, the title counts what it holds). Keeps the HTML small for busy agents on 7 d.
MAX_BARS_PER_ROW = 300

RING_AGENT = "#6366f1"  # indigo
RING_SYSTEM = "#a855f7"  # purple

# Mid-dark tones: white initials pass WCAG AA on each, and each stands out on white and on slate.
# Red is left out on purpose: it means "error" on this page.
_INITIALS_PALETTE: tuple[str, ...] = (
    "#4f46e5", "#7c3aed", "#be185d", "#c2410c", "#a16207",
    "#15803d", "#0f766e", "#0369a1", "#1d4ed8", "#475569",
)

# Which status a merged bar shows: the most important one it contains.
_STATUS_RANK = {"running": 3, "error": 2, "cancelled": 1, "success": 0}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class TileAgent:
    """What a row's tile needs to know about an agent; ``avatar_url`` None draws initials."""

    name: str
    display_name: str
    is_system: bool = False
    avatar_url: str | None = None
    type: str = "other"

    @classmethod
    def from_agent(cls, agent: Agent, avatar_url: str | None = None) -> TileAgent:
        return cls(agent.name, agent.display_name, agent.is_system, avatar_url, agent.type)


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


# --------------------------------------------------------------------------- shaping


def _as_utc(moment: datetime) -> pd.Timestamp:
    """Naive datetimes are taken as UTC: the API and storage speak UTC."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def _utc_column(values: pd.Series) -> pd.Series:
    column = pd.to_datetime(values, utc=True, format="mixed") if len(values) else values
    return column.astype("datetime64[ns, UTC]")


def activity_frame(rows: Sequence[Mapping[str, Any]] | Sequence[Activity]) -> pd.DataFrame:
    """Activities (dicts with COLUMNS' keys, or ``Activity`` objects) as a frame with UTC times."""
    records = [
        row if isinstance(row, Mapping) else {column: getattr(row, column) for column in COLUMNS}
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=list(COLUMNS))
    frame["started_at"] = _utc_column(frame["started_at"])
    frame["ended_at"] = _utc_column(frame["ended_at"])
    for column in ("agent_name", "kind", "status"):
        frame[column] = frame[column].astype(str)
    frame["summary"] = frame["summary"].fillna("").astype(str)
    return frame


def _row_statuses(frame: pd.DataFrame, in_scope: np.ndarray, end: pd.Timestamp) -> dict[str, str]:
    """Status as of ``end`` of each agent with activity in scope (see the module docstring)."""
    names = frame["agent_name"].to_numpy(dtype=object)
    unfinished = (frame["ended_at"].isna() | (frame["ended_at"] > end)).to_numpy(bool)
    finished = in_scope & ~unfinished
    # Walk ended runs in order of their end: the last one seen per agent is its latest.
    order = np.argsort(frame["ended_at"].to_numpy("datetime64[ns]")[finished], kind="stable")
    failed = frame["status"].to_numpy(dtype=object)[finished][order] == "error"
    latest = dict(zip(names[finished][order].tolist(), failed.tolist(), strict=True))
    statuses = {name: STATUS_ERROR if bad else STATUS_IDLE for name, bad in latest.items()}
    for name in set(names[in_scope & unfinished].tolist()):
        statuses[name] = STATUS_RUNNING
    return statuses


_TICK_STEPS: tuple[timedelta, ...] = (
    *(timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30)),
    *(timedelta(hours=h) for h in (1, 2, 3, 4, 6, 12)),
    *(timedelta(days=d) for d in (1, 2, 3, 4, 7, 14, 28)),
)


def _day_label(moment: datetime) -> str:
    return f"{_WEEKDAYS[moment.weekday()]} {moment.day:02d}"


def _ticks(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[float, str]]:
    """Ticks at round local times: the smallest step giving fewer than 8 steps in the window."""
    span = end - start
    step = next((s for s in _TICK_STEPS if span / s < 8), _TICK_STEPS[-1])
    local = start.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if step < timedelta(days=1):
        moment = midnight + step * math.ceil((local - midnight) / step)
    else:
        moment = midnight if midnight >= local else midnight + timedelta(days=1)
    ticks = []
    while moment <= end:
        at_midnight = (moment.hour, moment.minute) == (0, 0)
        label = _day_label(moment) if at_midnight else f"{moment.hour:02d}:{moment.minute:02d}"
        ticks.append((round((moment - start) / span * 100, 3), label))
        moment = (moment + step).astimezone(tz)
    return ticks


def _duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _clock(moment: datetime, with_day: bool) -> str:
    text = f"{moment.hour:02d}:{moment.minute:02d}"
    return f"{_day_label(moment)} {text}" if with_day else text


_EPOCH = datetime(1970, 1, 1)


def _local_minutes(column: pd.Series, tz: tzinfo) -> np.ndarray:
    """Wall-clock minutes since 1970 in ``tz``: cheap to compare and to format."""
    local = column.dt.tz_convert(tz).dt.tz_localize(None)
    return local.to_numpy().astype("datetime64[m]").astype(np.int64)


def _clock_labels(minutes: np.ndarray, with_day: bool) -> np.ndarray:
    """Wall-clock labels for minutes since 1970, formatted by pandas in one C-level pass."""
    if not len(minutes):
        return np.array([], dtype=object)
    distinct, inverse = np.unique(minutes, return_inverse=True)
    moments = pd.to_datetime(distinct, unit="m")
    clock = moments.strftime("%H:%M").to_numpy(dtype=object)
    if with_day:
        days = np.array(_WEEKDAYS, dtype=object)[moments.day_of_week.to_numpy()]
        clock = days + " " + moments.strftime("%d").to_numpy(dtype=object) + " " + clock
    return clock[inverse]


def _labels(values: np.ndarray, format_one: Callable[[int], str]) -> np.ndarray:
    """``format_one`` applied to each distinct value once, spread back over the array."""
    distinct, inverse = np.unique(values, return_inverse=True)
    texts = np.array([format_one(int(value)) for value in distinct] + [""], dtype=object)
    return texts[:-1][inverse] if len(values) else np.array([], dtype=object)


def _merge_bars(bars: list[Bar], start: datetime, span: timedelta, tz: tzinfo) -> list[Bar]:
    """At most MAX_BARS_PER_ROW bars: one per equal time bucket, worst status shown."""
    bucket_pct = 100 / MAX_BARS_PER_ROW
    groups: dict[int, list[Bar]] = {}
    for bar in bars:
        groups.setdefault(min(int(bar.left_pct / bucket_pct), MAX_BARS_PER_ROW - 1), []).append(bar)
    with_day = span > timedelta(days=1)
    merged = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        left = min(bar.left_pct for bar in group)
        right = max(bar.left_pct + bar.width_pct for bar in group)
        status = max((bar.status for bar in group), key=lambda s: _STATUS_RANK.get(s, 0))
        kinds = {bar.kind for bar in group}
        tally: dict[str, int] = {}
        for bar in group:
            tally[bar.status] = tally.get(bar.status, 0) + 1
        first = (start + span * (left / 100)).astimezone(tz)
        last = (start + span * (right / 100)).astimezone(tz)
        counts = ", ".join(f"{n} {s}" for s, n in sorted(tally.items()))
        title = (
            f"{len(group)} activities · {counts} · "
            f"{_clock(first, with_day)}–{_clock(last, False)} (choose a shorter window for detail)"
        )
        merged.append(
            Bar(left, right - left, status, kinds.pop() if len(kinds) == 1 else "mixed", title)
        )
    return merged


def _matches(agent: TileAgent, needle: str) -> bool:
    return not needle or needle in agent.name.casefold() or needle in agent.display_name.casefold()


def build_timeline(
    agents: Sequence[TileAgent],
    activities: pd.DataFrame,
    *,
    now: datetime,
    window: timedelta,
    name_filter: str = "",
    status_filter: Collection[str] = (),
    tz: tzinfo = UTC,
) -> Timeline:
    """Rows for the agents passing both filters, bars clipped to ``[now - window, now]``.

    ``activities`` is an ``activity_frame``. ``name_filter`` matches name or display name,
    case-insensitively; ``status_filter`` keeps rows whose status is in it (empty keeps all).
    Times in labels and titles are shown in ``tz``.
    """
    end = _as_utc(now)
    span = pd.Timedelta(window)
    start = end - span
    needle = name_filter.strip().casefold()
    chosen = [agent for agent in agents if _matches(agent, needle)]

    in_scope = (
        activities["agent_name"].isin([agent.name for agent in chosen])
        & (activities["started_at"] <= end)
    ).to_numpy(bool)
    statuses = _row_statuses(activities, in_scope, end)
    if status_filter:
        wanted = set(status_filter)
        chosen = [agent for agent in chosen if statuses.get(agent.name, STATUS_IDLE) in wanted]

    # Everything below works on whole columns; only the final bar objects are built one by one.
    ends = activities["ended_at"].fillna(end).clip(upper=end)
    visible = in_scope & (ends > start).to_numpy(bool)
    frame, ends = activities[visible], ends[visible]
    order = np.lexsort((
        frame["started_at"].to_numpy("datetime64[ns]"), frame["agent_name"].to_numpy(dtype=object)
    ))
    frame, ends = frame.iloc[order], ends.iloc[order]

    left = ((frame["started_at"].clip(lower=start) - start) / span * 100).to_numpy(float)
    right = ((ends - start) / span * 100).to_numpy(float)
    width = np.maximum(right - left, MIN_BAR_PCT)
    left = np.clip(np.minimum(left, 100 - width), 0, None)

    finished = frame["ended_at"].notna() & (frame["ended_at"] <= end)
    tallies = (
        pd.DataFrame({
            "agent_name": frame["agent_name"],
            "ok": (frame["status"] == "success") & finished,
            "bad": (frame["status"] == "error") & finished,
        })
        .groupby("agent_name", sort=False)
        .agg(count=("ok", "size"), ok=("ok", "sum"), bad=("bad", "sum"))
    )

    # Hover titles, built column-wise: each distinct clock time or duration is formatted once.
    with_day = span > pd.Timedelta(days=1)
    done = finished.to_numpy(bool)
    began_min, stop_min = _local_minutes(frame["started_at"], tz), _local_minutes(ends, tz)
    next_day = began_min // 1440 != stop_min // 1440
    stop_text = np.where(
        next_day & with_day, _clock_labels(stop_min, True), _clock_labels(stop_min, False)
    )
    seconds = (frame["ended_at"].fillna(end) - frame["started_at"]).dt.total_seconds().to_numpy()
    summaries = frame["summary"].to_numpy(dtype=object)
    titles = (
        frame["kind"].to_numpy(dtype=object) + " · " + frame["status"].to_numpy(dtype=object)
        + " · " + _clock_labels(began_min, with_day)
        + "–" + np.where(done, stop_text, "now")
        + " (" + _labels(np.rint(seconds).astype(np.int64), _duration_text) + ")"
        + np.where(summaries != "", " — " + summaries, "")
    )
    bars_by_agent: dict[str, list[Bar]] = {}
    for name, bar_left, bar_width, status, kind, title in zip(
        frame["agent_name"].tolist(), np.round(left, 3).tolist(), np.round(width, 3).tolist(),
        frame["status"].tolist(), frame["kind"].tolist(), titles.tolist(), strict=True,
    ):
        bars_by_agent.setdefault(name, []).append(Bar(bar_left, bar_width, status, kind, title))

    tally_of = tallies.to_dict("index")
    rows = []
    start_dt, end_dt = start.to_pydatetime(), end.to_pydatetime()
    for agent in sorted(chosen, key=lambda a: (not a.is_system, a.display_name.casefold(), a.name)):
        bars = bars_by_agent.get(agent.name, [])
        if len(bars) > MAX_BARS_PER_ROW:
            bars = _merge_bars(bars, start_dt, window, tz)
        rate, count = None, 0
        if (tally := tally_of.get(agent.name)) is not None:
            count = int(tally["count"])
            judged = int(tally["ok"]) + int(tally["bad"])
            rate = int(tally["ok"]) / judged if judged else None
        rows.append(
            TimelineRow(agent, statuses.get(agent.name, STATUS_IDLE), rate, count, bars)
        )
    return Timeline(start_dt, end_dt, _ticks(start_dt, end_dt, tz), rows)


# --------------------------------------------------------------------------- avatars


def initials(display_name: str) -> str:
    """Two letters for an avatar without an image: "Ledger Bot" → "LB", "Copysmith" → "CO"."""
    words = re.findall(r"[^\W_]+", display_name)
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[1][0]).upper()


def initials_color(name: str) -> str:
    """A stable background colour for an initials disc, chosen by sha256 of the agent name."""
    index = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")
    return _INITIALS_PALETTE[index % len(_INITIALS_PALETTE)]


# --------------------------------------------------------------------------- HTML

_TILE_W = 300  # px; the axis, overlay and tracks all start after the tile column
_GUTTER = 30  # px right of the track, room for the NOW label

_CSS = f"""
.aa-tl{{--aa-bg:#ffffff;--aa-alt:#f8fafc;--aa-text:#0f172a;--aa-muted:#475569;
--aa-track:rgba(148,163,184,.16);--aa-grid:#cbd5e1;--aa-line:#e2e8f0;--aa-link:#4338ca;
--aa-now:#c2410c;--aa-ok:#16a34a;--aa-err:#dc2626;--aa-run:#2563eb;--aa-cancel:#94a3b8;
--aa-idle:#94a3b8;--aa-sys:#7e22ce;
font-family:inherit;color:var(--aa-text);
background:var(--aa-bg);border:1px solid var(--aa-line);border-radius:12px;overflow:hidden}}
.aa-tl.aa-dark{{--aa-bg:#0f172a;--aa-alt:#131c31;--aa-text:#e2e8f0;--aa-muted:#94a3b8;
--aa-track:rgba(148,163,184,.10);--aa-grid:#334155;--aa-line:#1e293b;--aa-link:#a5b4fc;
--aa-now:#fb923c;--aa-ok:#22c55e;--aa-err:#f87171;--aa-run:#60a5fa;--aa-cancel:#64748b;
--aa-idle:#64748b;--aa-sys:#d8b4fe}}
.aa-axis{{display:flex;align-items:flex-end;height:40px;border-bottom:1px solid var(--aa-line)}}
.aa-legend{{flex:0 0 {_TILE_W}px;box-sizing:border-box;padding:0 14px 8px;display:flex;gap:10px;
font-size:12px;color:var(--aa-muted)}}
.aa-legend span{{display:inline-flex;align-items:center;gap:4px}}
.aa-legend i{{display:inline-block;width:10px;height:10px;border-radius:2px}}
.aa-scale{{position:relative;flex:1;height:100%;margin-right:{_GUTTER}px}}
.aa-tick{{position:absolute;bottom:8px;transform:translateX(-50%);font-size:13px;
color:var(--aa-muted);white-space:nowrap}}
.aa-now-label{{position:absolute;right:0;bottom:8px;transform:translateX(50%);font-size:12px;
font-weight:800;letter-spacing:.08em;color:var(--aa-now)}}
.aa-body{{position:relative}}
.aa-overlay{{position:absolute;top:0;bottom:0;left:{_TILE_W}px;right:{_GUTTER}px;
pointer-events:none;z-index:1}}
.aa-overlay.aa-top{{z-index:5}}
.aa-grid{{position:absolute;top:0;bottom:0;border-left:1px dashed var(--aa-grid)}}
.aa-now{{position:absolute;top:0;bottom:0;right:-1px;border-left:2px solid var(--aa-now)}}
.aa-row{{position:relative;display:flex;align-items:center;min-height:92px;
border-bottom:1px solid var(--aa-line)}}
.aa-row:nth-child(odd){{background:var(--aa-alt)}}
.aa-tile{{flex:0 0 {_TILE_W}px;box-sizing:border-box;display:flex;align-items:center;gap:12px;
padding:8px 14px;min-width:0}}
.aa-avatar{{flex:0 0 72px;width:72px;height:72px;border-radius:50%;box-sizing:border-box;
object-fit:cover;background:#1e293b}}
.aa-initials{{display:flex;align-items:center;justify-content:center;color:#fff;font-size:26px;
font-weight:700;letter-spacing:.02em;user-select:none}}
.aa-meta{{min-width:0;display:flex;flex-direction:column;gap:4px}}
.aa-name{{font-size:16px;font-weight:650;color:var(--aa-text);text-decoration:none;
overflow:hidden;text-overflow:ellipsis;white-space:nowrap}}
.aa-name:hover{{color:var(--aa-link);text-decoration:underline}}
.aa-sys{{font-size:11px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;
color:var(--aa-sys)}}
.aa-sub{{display:flex;align-items:center;gap:6px;font-size:13.5px;color:var(--aa-muted);
white-space:nowrap;overflow:hidden;text-overflow:ellipsis}}
.aa-dot{{flex:0 0 9px;width:9px;height:9px;border-radius:50%}}
.aa-dot-running{{background:var(--aa-run);box-shadow:0 0 0 3px rgba(96,165,250,.3)}}
.aa-dot-idle{{background:var(--aa-idle)}}
.aa-dot-error{{background:var(--aa-err)}}
.aa-track{{position:relative;flex:1;height:30px;margin-right:{_GUTTER}px;border-radius:6px;
background:var(--aa-track)}}
.aa-b{{position:absolute;top:3px;bottom:3px;min-width:2px;border-radius:3px;opacity:.88;
z-index:2}}
.aa-b:hover{{opacity:1;outline:2px solid var(--aa-text);z-index:4}}
.aa-success{{background:var(--aa-ok)}}
.aa-error{{background:var(--aa-err);z-index:3}}
.aa-cancelled{{background:var(--aa-cancel)}}
.aa-running{{z-index:3;background:var(--aa-run) repeating-linear-gradient(135deg,
rgba(255,255,255,.35) 0 4px,transparent 4px 8px);animation:aa-pulse 1.6s ease-in-out infinite}}
@keyframes aa-pulse{{50%{{opacity:.55}}}}
@media (prefers-reduced-motion:reduce){{.aa-running{{animation:none}}}}
.aa-empty{{padding:28px;text-align:center;color:var(--aa-muted)}}
"""

_LEGEND = "".join(
    f'<span><i class="aa-{status}"></i>{status}</span>'
    for status in ("success", "error", "running", "cancelled")
)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _avatar_html(agent: TileAgent) -> str:
    ring = RING_SYSTEM if agent.is_system else RING_AGENT
    if agent.avatar_url is not None:
        return (
            f'<img class="aa-avatar" src="{_esc(agent.avatar_url)}" width="72" height="72" '
            f'alt="" loading="lazy" style="border-radius:50%; border: 3px solid {ring}">'
        )
    return (
        f'<div class="aa-avatar aa-initials" role="img" aria-label="{_esc(agent.display_name)}" '
        f'style="background:{initials_color(agent.name)}; border: 3px solid {ring}">'
        f"{_esc(initials(agent.display_name))}</div>"
    )


def _summary_text(row: TimelineRow) -> str:
    if not row.count:
        return "no runs in window"
    runs = f"{row.count} run{'s' if row.count != 1 else ''}"
    if row.success_rate is None:
        return runs
    # Floor below 100 %, so one failure in 300 runs never reads as "100% ok".
    percent = 100 if row.success_rate >= 1 else math.floor(row.success_rate * 100)
    return f"{percent}% ok · {runs}"


def _row_html(row: TimelineRow, detail_url: Callable[[str], str]) -> str:
    agent = row.agent
    system = '<span class="aa-sys">system</span>' if agent.is_system else ""
    bars = "".join(
        f'<div class="aa-b aa-{_esc(bar.status)}" style="left:{bar.left_pct:.2f}%;'
        f'width:{bar.width_pct:.2f}%" title="{_esc(bar.title)}"></div>'
        for bar in row.bars
    )
    return (
        f'<div class="aa-row"><div class="aa-tile">{_avatar_html(agent)}<div class="aa-meta">'
        f'<a class="aa-name" href="{_esc(detail_url(agent.name))}" target="_self" '
        f'title="{_esc(agent.name)}">{_esc(agent.display_name)}</a>{system}'
        f'<span class="aa-sub"><span class="aa-dot aa-dot-{_esc(row.status)}"></span>'
        f"{_esc(row.status)} · {_summary_text(row)}</span></div></div>"
        f'<div class="aa-track">{bars}</div></div>'
    )


def render_timeline_html(
    timeline: Timeline, *, dark: bool, detail_url: Callable[[str], str]
) -> str:
    """The dashboard body as one HTML fragment: a ``<style>`` block, the axis, one row per agent.

    Every string that comes from data is escaped; colours come from classes, so a bar costs
    only its position, size and hover title.
    """
    ticks = "".join(
        f'<span class="aa-tick" style="left:{pct:.2f}%">{_esc(label)}</span>'
        for pct, label in timeline.ticks
        if pct < 94  # the NOW label owns the right edge
    )
    grid = "".join(f'<div class="aa-grid" style="left:{pct:.2f}%"></div>'
                   for pct, _ in timeline.ticks)
    rows = "".join(_row_html(row, detail_url) for row in timeline.rows)
    if not rows:
        rows = '<div class="aa-empty">No agents match the filters.</div>'
    theme = "aa-dark" if dark else "aa-light"
    return (
        f"<style>{_CSS}</style>"
        f'<div class="aa-tl {theme}">'
        f'<div class="aa-axis"><div class="aa-legend">{_LEGEND}</div>'
        f'<div class="aa-scale">{ticks}<span class="aa-now-label">NOW</span></div></div>'
        f'<div class="aa-body"><div class="aa-overlay">{grid}</div>{rows}'
        '<div class="aa-overlay aa-top"><div class="aa-now"></div></div></div></div>'
    )
