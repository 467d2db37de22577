"""Streamlit glue shared by the pages: the service, the frame, the admin lock, avatar HTML.

The only ``avatar_core`` module that imports Streamlit. It decides nothing about the product:
the service and ``timeline`` do; this module caches what they return, draws it and reports
their errors the same way on every page.

Admin lock (DESIGN.md, Security): with no admin token configured (demo mode) every UI action
is open and a banner says so. With one, every UI *write* — generating, restoring or removing
avatars, editing agents, keys, provider, bulk defaults, tokens — needs the token entered once in
Settings (kept in this browser session's ``st.session_state``). The API requires a bearer token
for the same writes, so the UI is no way around it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st

from .foundation.errors import AvatarError, GenerationError
from .foundation.models import Agent, Job
from .jobs import failures_by_reason
from .runtime import shared_service
from .service import AvatarService
from .timeline import (
    RING_AGENT,
    RING_SYSTEM,
    WINDOWS,
    TileAgent,
    Timeline,
    build_timeline,
    render_timeline_html,
)
from .timeline import initials as initials_of
from .timeline import initials_color as initials_color_of

__all__ = [
    "ADMIN_KEY",
    "DATA_TTL_S",
    "DEMO_BANNER",
    "ROWS_PER_PAGE",
    "act",
    "activity_frame_for",
    "admin_unlocked",
    "agent_label",
    "avatar_html",
    "browser_timezone",
    "cycle_emotion",
    "detail_url",
    "draw_frame",
    "emotion_tick",
    "get_service",
    "is_dark",
    "job_failures_text",
    "lock_admin",
    "refresh_data",
    "require_admin",
    "show_error",
    "tile_agents",
    "timeline_html",
    "timeline_pages",
    "unlock_admin",
]

T = TypeVar("T")
ADMIN_KEY = "admin_token"  # session_state key holding the entered admin token
DEMO_BANNER = "Demo mode: no admin token configured, admin actions are open"
DATA_TTL_S = 10  # the dashboard may lag writes made through the API by this much
ROWS_PER_PAGE = 50  # agents per dashboard page: keeps the page's HTML bounded


@st.cache_resource(show_spinner=False)
def get_service() -> AvatarService:
    """The process-wide started service (shared with the REST API)."""
    return shared_service()


# --- frame ----------------------------------------------------------------------------------


def draw_frame() -> None:
    """What every page shows: the brand in the sidebar and the demo-mode banner."""
    service = get_service()
    with st.sidebar:
        st.markdown("### :material/smart_toy: Agent Avatars")
        st.caption("Faces for every agent of the platform.")
        if not service.tokens.demo_mode:
            st.caption(":material/lock_open: Admin unlocked" if admin_unlocked()
                       else ":material/lock: Admin locked — unlock in Settings")
    if service.tokens.demo_mode:
        st.info(DEMO_BANNER, icon=":material/lock_open:")


def is_dark() -> bool:
    """True in the dark theme; ``st.context.theme.type`` is None in tests and on first load."""
    try:
        return st.context.theme.type == "dark"
    except Exception:  # an older or bare context has no theme: draw the light theme
        return False


def browser_timezone() -> str | None:
    """The viewer's IANA timezone name for clock labels; None (UTC) in tests and bare runs."""
    return st.context.timezone or None


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def show_error(exc: AvatarError) -> None:
    """An error from the service as the user should see it: reason, detail and hint."""
    if isinstance(exc, GenerationError):
        st.error(f"**{exc.reason.value}** — {exc.detail}\n\n**Hint:** {exc.reason.hint}",
                 icon=":material/warning:")
    else:
        st.error(exc.detail, icon=":material/warning:")


def act(action: Callable[[], T], flash_key: str, message: str | Callable[[T], str], *,
        spinner: str | None = None, forget: Iterable[str] = ()) -> None:
    """Run a service action for a button: on failure show the error in place; on success
    refresh the cached data, forget the ``forget`` session keys, leave ``message`` for the next
    run under ``flash_key`` and rerun."""
    try:
        if spinner:
            with st.spinner(spinner):
                result = action()
        else:
            result = action()
    except AvatarError as exc:
        show_error(exc)
        return
    refresh_data()
    for key in forget:
        st.session_state.pop(key, None)
    st.session_state[flash_key] = message(result) if callable(message) else message
    st.rerun()


# --- admin lock -----------------------------------------------------------------------------


def admin_unlocked() -> bool:
    """Admin (and write) actions are allowed: demo mode, or the right token was entered."""
    tokens = get_service().tokens
    return tokens.demo_mode or tokens.is_admin(st.session_state.get(ADMIN_KEY))


def unlock_admin(token: str) -> bool:
    """Keep ``token`` for this session if it is the admin token; False otherwise."""
    if get_service().tokens.is_admin(token):
        st.session_state[ADMIN_KEY] = token
        return True
    return False


def lock_admin() -> None:
    st.session_state.pop(ADMIN_KEY, None)


def require_admin(what: str = "This action") -> bool:
    """True when unlocked; else a short note pointing to Settings and False."""
    if admin_unlocked():
        return True
    st.caption(f":material/lock: {what} needs the admin token: unlock it in Settings.")
    return False


# --- cached data for the dashboard ----------------------------------------------------------


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False)
def tile_agents() -> list[TileAgent]:
    """Every agent as the dashboard tile needs it, with its versioned avatar URL."""
    service = get_service()
    return [TileAgent.from_agent(a, service.avatar_url(a)) for a in service.list_agents()]


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
        tz=_zone(tz_name))


def timeline_pages(window_label: str, name_filter: str, status_filter: tuple[str, ...],
                   tz_name: str | None) -> tuple[int, int, int]:
    """(pages, rows matching the filters, agents in total) for the pager."""
    rows = len(_timeline(window_label, name_filter, status_filter, tz_name).rows)
    return max(1, math.ceil(rows / ROWS_PER_PAGE)), rows, len(tile_agents())


@st.cache_data(ttl=DATA_TTL_S, show_spinner=False, max_entries=128)
def timeline_html(window_label: str, name_filter: str, status_filter: tuple[str, ...],
                  dark: bool, tz_name: str | None, page: int = 1) -> str:
    """The HTML of one page of the Dashboard Timeline (``ROWS_PER_PAGE`` agents).

    Cached for every session at once: viewers of the same window, filters and page within
    ``DATA_TTL_S`` share one build, so the dashboard's cost does not grow with its audience,
    and a page of rows keeps the HTML (and the browser's work) bounded however many agents
    there are.
    """
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


# --- URLs and HTML --------------------------------------------------------------------------


def detail_url(name: str) -> str:
    """Relative link to Agent Detail, resolved against the current page's URL."""
    return f"agent?agent={name}"


EMOTION_CYCLE_MS = 30_000


def emotion_tick(key: str) -> int:
    """How many 30 s ticks this page has seen: drives the emotion cycle on Agent Detail."""
    from streamlit_autorefresh import st_autorefresh

    return int(st_autorefresh(interval=EMOTION_CYCLE_MS, key=key) or 0)


def cycle_emotion(tick: int, available: list[str]) -> str | None:
    """The emotion shown at refresh ``tick``: canonical order, no repeats; None = base avatar."""
    return available[tick % len(available)] if available else None


def agent_label(agent: Agent) -> str:
    return f"{agent.display_name} ({agent.name})"


def avatar_html(agent: Agent | TileAgent, url: str | None, size: int = 72,
                caption: str | None = None) -> str:
    """An avatar ``<img>`` (or the initials disc) in its ring: indigo, purple for system agents."""
    ring = RING_SYSTEM if agent.is_system else RING_AGENT
    border = max(3, size // 40)
    box = (f"width:{size}px;height:{size}px;border-radius:50%;border:{border}px solid {ring};"
           "box-sizing:border-box;box-shadow:0 2px 12px rgba(15,23,42,.25)")
    if url:
        face = (f'<img class="aa-face" src="{escape(url)}" width="{size}" height="{size}" '
                f'alt="{escape(agent.display_name)}" style="{box};object-fit:cover;'
                'background:#1e293b;display:block">')
    else:
        face = (f'<div class="aa-face" role="img" aria-label="{escape(agent.display_name)}" '
                f'style="{box};'
                f"background:{initials_color_of(agent.name)};color:#fff;display:flex;"
                f"align-items:center;justify-content:center;font:700 {size * 0.36:.0f}px "
                f'system-ui,sans-serif">{escape(initials_of(agent.display_name))}</div>')
    label = (f'<div class="aa-face-caption" style="margin-top:8px;font-size:14px;opacity:.8;'
             'text-align:center;'
             f'width:{size}px">{escape(caption)}</div>' if caption else "")
    return f'<div style="display:inline-block">{face}{label}</div>'


def job_failures_text(job: Job) -> str:
    """"rate_limited: 3, timeout: 1" — failed items counted by reason."""
    counts = failures_by_reason(job)
    return ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items())) or "none"
