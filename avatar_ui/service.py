"""The process-wide service, as Streamlit's cached resource (shared with the REST API)."""

from __future__ import annotations

import streamlit as st

from avatar_core import AvatarService, shared_service

__all__ = ["get_service"]


@st.cache_resource(show_spinner=False)
def get_service() -> AvatarService:
    """The started service of this process; the API mounted beside the pages uses the same one."""
    return shared_service()
