"""Dashboard Timeline: one row per agent — avatar tile, status, success rate — and its activity."""

import streamlit as st

from avatar_core.domain.timeline import ROW_STATUSES, WINDOWS
from avatar_ui import dashboard
from avatar_ui.frame import browser_timezone, is_dark

st.title("Dashboard Timeline")

window_col, name_col, status_col = st.columns([2, 3, 3], vertical_alignment="bottom")
with window_col:
    window = st.segmented_control("Window", list(WINDOWS), default="24 h", required=True,
                                  key="dash_window")
with name_col:
    name_filter = st.text_input("Filter by name", placeholder="e.g. ledger",
                                key="dash_name_filter").strip()
with status_col:
    statuses = tuple(sorted(st.multiselect("Status", ROW_STATUSES, placeholder="All statuses",
                                           key="dash_status_filter")))

if not dashboard.tile_agents():
    st.info("No agents yet. Register them through the API or add them in Settings → Agents.")
    st.page_link("app_pages/settings.py", label="Open Settings", icon=":material/settings:")
    st.stop()

# Shaped in avatar_core's timeline, cached for all viewers for a few seconds (avatar_ui.dashboard).
tz_name = browser_timezone()
pages, matched, total = dashboard.timeline_pages(window, name_filter, statuses, tz_name)
if st.session_state.get("dash_filters") != (name_filter, statuses):
    st.session_state["dash_filters"] = (name_filter, statuses)
    st.session_state["dash_page"] = 1  # new filters start on the first page
if st.session_state.get("dash_page", 1) > pages:
    st.session_state["dash_page"] = 1
page = st.session_state.get("dash_page", 1)
first = (page - 1) * dashboard.ROWS_PER_PAGE
st.caption(f"{matched} of {total} agents · last {window} · hover a bar for details, "
           "click a name to open the agent"
           + (f" · showing {first + 1}–{min(first + dashboard.ROWS_PER_PAGE, matched)}"
              if pages > 1 else ""))
st.html(dashboard.timeline_html(window, name_filter, statuses, is_dark(), tz_name, page))
if pages > 1:
    st.segmented_control("Page", list(range(1, pages + 1)), required=True, key="dash_page")
