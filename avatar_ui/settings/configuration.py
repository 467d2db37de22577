"""Settings → Configuration: every option and where its value came from, secrets hidden."""

from __future__ import annotations

import streamlit as st

from avatar_core import AvatarService

from ..admin import require_admin

__all__ = ["show"]


def show(service: AvatarService, unlocked: bool) -> None:
    st.subheader("Configuration")
    st.caption("From the environment or .streamlit/secrets.toml; secrets are never shown and "
               "passwords in URLs are masked.")
    if require_admin("Seeing the configuration"):
        st.dataframe(service.settings.describe(), hide_index=True, width="stretch")
