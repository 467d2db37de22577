"""The Dashboard Timeline's data, shared by every viewer and kept live.

Activity comes from one ``ActivityFeed`` per process (the trailing week in memory, caught up
with only the rows that are new), so a refresh every ``LIVE_REFRESH_S`` costs a few small queries,
not a week of rows. The shaped timeline and its HTML are cached for ``DATA_TTL_S`` for all
viewers of the same window, filters and page, so the dashboard's cost does not grow with its
audience, and a page of rows keeps the HTML (and the browser's work) bounded however many agents
there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from avatar_core import WINDOWS, ActivityFeed, TileAgent, Timeline, build_timeline, urls

from .frame import zone
from .service import get_service
from .timeline_html import render_timeline_html

__all__ = [
    "AGENT_WINDOW",
    "DATA_TTL_S",
    "LIVE_REFRESH_S",
    "ROWS_PER_PAGE",
    "PageView",
    "activity_feed",
    "activity_frame_for",
    "agent_activity",
    "agent_activity_html",
    "detail_url",
    "page_view",
    "refresh_data",
    "tile_agents",
    "timeline_html",
]

LIVE_REFRESH_S = 5.0  # the open dashboard redraws its timeline this often (a fragment rerun)
DATA_TTL_S = 5  # shaped timelines are shared this long: new activity shows within ~2 × this
ROWS_PER_PAGE = 50  # agents per dashboard page: keeps the page's HTML bounded
AGENT_WINDOW = "24 h"  # the window of an agent's own activity on Agent Detail
# The feed holds the widest window plus the minute of slack every window reads.
_HORIZON = max(WINDOWS.values()) + timedelta(minutes=2)
_SLACK = timedelta(minutes=1)


def detail_url(name: str) -> str:
    """Relative link to Agent Detail, resolved against the current page's URL."""
    return f"agent?agent={name}"


@st.cache_resource(show_spinner=False)
def activity_feed() -> ActivityFeed:
    """The process's activity feed; it outlives ``refresh_data`` (it catches up by itself)."""
    return get_service().activity_feed(_HORIZON)


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def tile_agents() -> list[TileAgent]:
    """Every agent as the dashboard tile needs it, with its versioned avatar URL."""
    return [TileAgent.from_agent(a, urls.avatar_url(a)) for a in get_service().agents.list()]


def activity_frame_for(window_label: str) -> pd.DataFrame:
    """Activities overlapping the last ``window_label`` (plus a minute of slack), as a frame."""
    now = datetime.now(UTC)
    return activity_feed().frame(now - WINDOWS[window_label] - _SLACK, now)


def _page_rows(page: int) -> slice:
    first = (max(1, page) - 1) * ROWS_PER_PAGE
    return slice(first, first + ROWS_PER_PAGE)


@st.cache_resource(ttl=DATA_TTL_S, show_spinner=False, max_entries=32)
def _timeline(window_label: str, name_filter: str, status_filter: tuple[str, ...],
              tz_name: str | None, page: int = 1) -> Timeline:
    """The shaped timeline as of now, bars for one page of rows, shared read-only by every
    session for ``DATA_TTL_S``."""
    return build_timeline(
        tile_agents(), activity_frame_for(window_label), now=datetime.now(UTC),
        window=WINDOWS[window_label], name_filter=name_filter, status_filter=status_filter,
        tz=zone(tz_name), bars_for=_page_rows(page))


@dataclass(frozen=True)
class PageView:
    """Which page of rows the viewer is on, and what the caption says about it."""

    page: int
    pages: int
    matched: int  # rows passing the filters
    total: int  # agents in all

    @property
    def caption(self) -> str:
        if self.pages == 1:
            return f"{self.matched} of {self.total} agents"
        first = (self.page - 1) * ROWS_PER_PAGE + 1
        last = min(self.page * ROWS_PER_PAGE, self.matched)
        return f"{self.matched} of {self.total} agents · showing {first}–{last}"


def page_view(window_label: str, name_filter: str, status_filter: tuple[str, ...],
              tz_name: str | None, key: str = "dash_page") -> PageView:
    """The viewer's page (session state ``key``): kept across refreshes, back to 1 when the
    filters change or the page no longer exists."""
    filters = (window_label, name_filter, status_filter)
    if st.session_state.get(f"{key}_filters") != filters:
        st.session_state[f"{key}_filters"] = filters
        st.session_state[key] = 1
    page = int(st.session_state.get(key, 1))
    rows = len(_timeline(window_label, name_filter, status_filter, tz_name, page).rows)
    pages = max(1, math.ceil(rows / ROWS_PER_PAGE))
    if not 1 <= page <= pages:
        page = st.session_state[key] = 1
    return PageView(page, pages, rows, len(tile_agents()))


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False, max_entries=128)
def timeline_html(window_label: str, name_filter: str, status_filter: tuple[str, ...],
                  dark: bool, tz_name: str | None, page: int = 1) -> str:
    """The HTML of one page of the Dashboard Timeline (``ROWS_PER_PAGE`` agents)."""
    timeline = _timeline(window_label, name_filter, status_filter, tz_name, page)
    shown = replace(timeline, rows=timeline.rows[_page_rows(page)])
    return render_timeline_html(shown, dark=dark, detail_url=detail_url)


@st.cache_resource(ttl=DATA_TTL_S, show_spinner=False, max_entries=64)
def agent_activity(name: str, tz_name: str | None) -> Timeline:
    """One agent's row over the last ``AGENT_WINDOW``: the same bars as the dashboard."""
    agents = [agent for agent in tile_agents() if agent.name == name]
    return build_timeline(agents, activity_frame_for(AGENT_WINDOW), now=datetime.now(UTC),
                          window=WINDOWS[AGENT_WINDOW], tz=zone(tz_name))


def agent_activity_html(name: str, dark: bool, tz_name: str | None) -> str:
    """The HTML of one agent's activity row, linking nowhere (it is the page already open)."""
    return render_timeline_html(agent_activity(name, tz_name), dark=dark, detail_url=None)


def refresh_data() -> None:
    """Forget the shaped data after a write made in this UI (the feed catches up itself)."""
    tile_agents.clear()
    _timeline.clear()
    timeline_html.clear()
    agent_activity.clear()
