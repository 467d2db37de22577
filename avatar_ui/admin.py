"""The admin lock of the UI.

With no admin token configured (demo mode) every UI action is open and a banner says so. With
one, every UI *write* — generating, restoring or removing avatars, editing agents, keys, provider,
bulk defaults, tokens — needs the token entered once in Settings (kept in this browser session's
``st.session_state``). The API requires a bearer token for the same writes, so the UI is no way
around it.
"""

from __future__ import annotations

import streamlit as st

from avatar_core import TooManyAttempts

from .service import get_service

__all__ = ["ADMIN_KEY", "admin_unlocked", "lock_admin", "require_admin", "unlock_admin"]

ADMIN_KEY = "admin_token"  # session_state key holding the entered admin token
PENDING_KEYS = ("detail_confirm_remove", "detail_dialog_for", "settings_confirm_delete",
                "settings_confirm_defaults", "settings_start_defaults")
"""Confirmations and dialogs of writes in progress: none outlives the lock."""


def admin_unlocked() -> bool:
    """Admin (and write) actions are allowed: demo mode, or the right token was entered."""
    tokens = get_service().tokens
    if tokens.demo_mode or tokens.is_admin(st.session_state.get(ADMIN_KEY)):
        return True
    _forget_pending()  # locked (or the token changed): a half-confirmed write is void
    return False


def unlock_admin(token: str) -> str | None:
    """Keep ``token`` for this session if it is the admin token (None); else why not.

    Wrong tokens count against this browser's address like the API's (``AuthFailures``):
    after a burst, the answer says how long to wait and the token is not even compared.
    """
    tokens = get_service().tokens
    address = st.context.ip_address  # None on loopback (and not a str under AppTest)
    client = address if isinstance(address, str) and address else "local"
    try:
        tokens.failures.check(client)
        if tokens.is_admin(token):
            st.session_state[ADMIN_KEY] = token
            return None
        tokens.failures.record(client, "admin unlock")
    except TooManyAttempts as exc:
        return exc.detail
    return "That is not the admin token."


def lock_admin() -> None:
    st.session_state.pop(ADMIN_KEY, None)
    _forget_pending()


def _forget_pending() -> None:
    for key in PENDING_KEYS:
        st.session_state.pop(key, None)


def require_admin(what: str = "This action") -> bool:
    """True when unlocked; else a short note pointing to Settings and False."""
    if admin_unlocked():
        return True
    st.caption(f":material/lock: {what} needs the admin token: unlock it in Settings.")
    return False
