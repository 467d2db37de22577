"""The admin lock at the top of Settings: unlock with the admin token, lock again."""

from __future__ import annotations

import streamlit as st

from avatar_core import AvatarService

from ..admin import admin_unlocked, lock_admin, unlock_admin

__all__ = ["admin_lock"]


def admin_lock(service: AvatarService) -> bool:
    """Draw the lock (nothing in demo mode); True when admin actions are unlocked."""
    if service.tokens.demo_mode:
        return admin_unlocked()
    if admin_unlocked():
        lock_text, lock_button = st.columns([4, 1], vertical_alignment="center")
        lock_text.success("Admin unlocked for this session.", icon=":material/lock_open:")
        if lock_button.button("Lock", key="settings_lock"):
            lock_admin()
            st.rerun()
    else:
        with st.form("settings_unlock", clear_on_submit=True):
            st.markdown(":material/lock: **Admin actions are locked.** Enter the admin token "
                        "(`AVATARS_ADMIN_TOKEN`) to unlock them for this session.")
            token = st.text_input("Admin token", type="password", key="settings_unlock_token")
            if st.form_submit_button("Unlock"):
                if (refusal := unlock_admin(token)) is None:
                    st.rerun()
                st.error(refusal)
    return admin_unlocked()
