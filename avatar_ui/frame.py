"""What every page shares: the sidebar brand, the demo banner, the theme and the timezone."""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from .admin import admin_unlocked
from .service import get_service

__all__ = ["DEMO_BANNER", "SELECTED_TAB_DARK", "browser_timezone", "draw_frame", "is_dark",
           "zone"]

DEMO_BANNER = "Demo mode: no admin token configured, admin actions are open"
SELECTED_TAB_DARK = "#a5b4fc"  # indigo-300: 9 : 1 on the dark background

# Streamlit writes a selected tab's label in the primary colour. In the dark theme the primary
# must stay dark enough for the white text Streamlit puts on it (buttons, tags: 5.3 : 1), which
# leaves it at 3.4 : 1 as text on the page — no one indigo does both — so the label gets a light
# indigo of its own. (axe-core cannot measure this one: the tab's background is layered.)
_DARK_CHROME = ("<style>[data-testid=\"stTabs\"] [role=\"tab\"][aria-selected=\"true\"] p"
                f"{{color:{SELECTED_TAB_DARK}}}</style>")


def draw_frame() -> None:
    """The brand in the sidebar, the lock state, and the demo-mode banner."""
    service = get_service()
    with st.sidebar:
        st.markdown("### :material/smart_toy: Agent Avatars")
        st.caption("Faces for every agent of the platform.")
        if not service.tokens.demo_mode:
            st.caption(":material/lock_open: Admin unlocked" if admin_unlocked()
                       else ":material/lock: Admin locked — unlock in Settings")
    if service.tokens.demo_mode:
        st.info(DEMO_BANNER, icon=":material/lock_open:")
    if is_dark():
        st.html(_DARK_CHROME)


def is_dark() -> bool:
    """True in the dark theme; ``st.context.theme.type`` is None in tests and on first load."""
    try:
        return st.context.theme.type == "dark"
    except Exception:  # an older or bare context has no theme: draw the light theme
        return False


def browser_timezone() -> str | None:
    """The viewer's IANA timezone name for clock labels; None (UTC) in tests and bare runs."""
    return st.context.timezone or None


def zone(name: str | None) -> tzinfo:
    """The timezone called ``name``; UTC for none or an unknown one."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
