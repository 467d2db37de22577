"""Dashboard Timeline: one row per agent — avatar tile, status, success rate — and its activity."""

from datetime import UTC, datetime

import streamlit as st

from avatar_core import ui
from avatar_core.timeline import ROW_STATUSES, WINDOWS, build_timeline, render_timeline_html

st.title("Dashboard Timeline")

window_col, name_col, status_col = st.columns([2, 3, 3], vertical_alignment="bottom")
with window_col:
    window = st.segmented_control("Window", list(WINDOWS), default="24 h", required=True,
                                  key="dash_window")
with name_col:
    name_filter = st.text_input("Filter by name", placeholder="e.g. ledger",
                                key="dash_name_filter")
with status_col:
    status_filter = st.multiselect("Status", ROW_STATUSES, placeholder="All statuses",
                                   key="dash_status_filter")

agents = ui.tile_agents()
if not agents:
    st.info("No agents yet. Register them through the API or add them in Settings → Agents.")
    st.page_link("pages/settings.py", label="Open Settings", icon="⚙️")
    st.stop()

timeline = build_timeline(
    agents, ui.activity_frame_for(window), now=datetime.now(UTC), window=WINDOWS[window],
    name_filter=name_filter, status_filter=status_filter, tz=ui.browser_timezone(),
)
st.caption(f"{len(timeline.rows)} of {len(agents)} agents · last {window} · "
           "hover a bar for details, click a name to open the agent")
st.html(render_timeline_html(timeline, dark=ui.is_dark(), detail_url=ui.detail_url))
