"""Dashboard Timeline: one row per agent — avatar tile, status, success rate — and its activity.

The timeline is a fragment that redraws itself every few seconds: new activity, finished runs and
new avatars appear without a reload, while the window, filters and page stay as they were.
"""

import streamlit as st

from avatar_core import ROW_STATUSES, WINDOWS
from avatar_ui import dashboard
from avatar_ui.frame import browser_timezone, is_dark

st.title("Dashboard Timeline")

window_col, name_col, status_col = st.columns([3, 3, 3], vertical_alignment="bottom")
with window_col:
    window = st.radio("Window", list(WINDOWS), index=list(WINDOWS).index("24 h"),
                      horizontal=True, key="dash_window")
with name_col:
    name_filter = st.text_input("Filter by name", placeholder="e.g. ledger",
                                key="dash_name_filter").strip()
with status_col:
    statuses = tuple(sorted(st.multiselect("Status", ROW_STATUSES, placeholder="All statuses",
                                           key="dash_status_filter")))


@st.fragment(run_every=dashboard.LIVE_REFRESH_S)
def live_timeline(window: str, name_filter: str, statuses: tuple[str, ...]) -> None:
    if not dashboard.tile_agents():
        st.info("No agents yet. Register them through the API or add them in Settings → Agents.")
        st.page_link("app_pages/settings.py", label="Open Settings", icon=":material/settings:")
        return
    # Shaped in avatar_core's timeline, shared by all viewers for a few seconds.
    tz_name = browser_timezone()
    view = dashboard.page_view(window, name_filter, statuses, tz_name)
    st.caption(f"{view.caption} · last {window} · hover a bar for details, click a name to "
               "open the agent · updates by itself")
    st.html(dashboard.timeline_html(window, name_filter, statuses, is_dark(), tz_name,
                                    view.page))
    if view.pages > 1:
        st.selectbox("Page", list(range(1, view.pages + 1)), key="dash_page",
                     format_func=lambda p: f"Page {p} of {view.pages}")


live_timeline(window, name_filter, statuses)
