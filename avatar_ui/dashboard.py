"""The Dashboard Timeline's data, cached for every viewer at once for a few seconds.

Viewers of the same window, filters and page within ``DATA_TTL_S`` share one build, so the
dashboard's cost does not grow with its audience, and a page of rows keeps the HTML (and the
browser's work) bounded however many agents there are.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from avatar_core.domain import urls
from avatar_core.domain.tiles import TileAgent
from avatar_core.domain.timeline import WINDOWS, Timeline, build_timeline

from .frame import zone
from .service import get_service
from .timeline_html import render_timeline_html

__all__ = [
    "DATA_TTL_S",
    "ROWS_PER_PAGE",
    "activity_frame_for",
    "detail_url",
    "refresh_data",
    "tile_agents",
    "timeline_html",
    "timeline_pages",
]

DATA_TTL_S = 10  # the dashboard may lag writes made through the API by this much
ROWS_PER_PAGE = 50  # agents per dashboard page: keeps the page's HTML bounded


def detail_url(name: str) -> str:
    """Relative link to Agent Detail, resolved against the current page's URL."""
    return f"agent?agent={name}"


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def tile_agents() -> list[TileAgent]:
    """Every agent as the dashboard tile needs it, with its versioned avatar URL."""
    return [TileAgent.from_agent(a, urls.avatar_url(a)) for a in get_service().list_agents()]


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def activity_frame_for(window_label: str) -> pd.DataFrame:
    """Activities overlapping the last ``window_label`` (plus a minute of slack), as a frame."""
    since = datetime.now(UTC) - WINDOWS[window_label] - timedelta(minutes=1)
    return get_service().activity_table(since=since)


@st.cache_resource(ttl=DATA_TTL_S, show_spinner=False, max_entries=32)
def _timeline(window_label: str, name_filter: str, status_filter: tuple[str, ...],
              tz_name: str | None) -> Timeline:
    """The shaped timeline as of now, shared read-only by every session for ``DATA_TTL_S``."""
    return build_timeline(
        tile_agents(), activity_frame_for(window_label), now=datetime.now(UTC),
        window=WINDOWS[window_label], name_filter=name_filter, status_filter=status_filter,
        tz=zone(tz_name))


def timeline_pages(window_label: str, name_filter: str, status_filter: tuple[str, ...],
                   tz_name: str | None) -> tuple[int, int, int]:
    """(pages, rows matching the filters, agents in total) for the pager."""
    rows = len(_timeline(window_label, name_filter, status_filter, tz_name).rows)
    return max(1, math.ceil(rows / ROWS_PER_PAGE)), rows, len(tile_agents())


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False, max_entries=128)
def timeline_html(window_label: str, name_filter: str, status_filter: tuple[str, ...],
                  dark: bool, tz_name: str | None, page: int = 1) -> str:
    """The HTML of one page of the Dashboard Timeline (``ROWS_PER_PAGE`` agents)."""
    timeline = _timeline(window_label, name_filter, status_filter, tz_name)
    first = (max(1, page) - 1) * ROWS_PER_PAGE
    shown = replace(timeline, rows=timeline.rows[first:first + ROWS_PER_PAGE])
    return render_timeline_html(shown, dark=dark, detail_url=detail_url)


def refresh_data() -> None:
    """Forget cached dashboard data after a write made in this UI."""
    tile_agents.clear()
    activity_frame_for.clear()
    _timeline.clear()
    timeline_html.clear()
