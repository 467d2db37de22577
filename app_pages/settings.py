"""Settings: admin lock, AI keys, provider, default avatars, agents, API tokens, configuration."""

import streamlit as st

from avatar_ui.service import get_service
from avatar_ui.settings import TABS, admin_lock

service = get_service()
st.title("Settings")
unlocked = admin_lock(service)
for tab, show in zip(st.tabs(list(TABS)), TABS.values(), strict=True):
    with tab:
        show(service, unlocked)
