"""Settings → API tokens: create an editor token (its secret shown once), list, revoke."""

from __future__ import annotations

import streamlit as st

from avatar_core import DEMO_NO_TOKENS, AvatarService, TokenInfo, quote

from ..actions import act
from ..admin import require_admin
from ..text import plain

__all__ = ["show"]


def show(service: AvatarService, unlocked: bool) -> None:
    st.subheader("API tokens")
    if service.tokens.demo_mode:
        st.info(DEMO_NO_TOKENS, icon=":material/key_off:")
        return
    if not require_admin("Managing API tokens"):
        return
    with st.form("settings_token_form", clear_on_submit=True):
        token_name = st.text_input("Token name", key="settings_token_name",
                                   placeholder="e.g. agent-platform")
        if st.form_submit_button("Create editor token"):
            created = act(lambda: service.tokens.create(token_name))
            if created is not None:
                info, secret = created
                st.success(f"Token {plain(quote(info.name))} created. Copy it now: it is "
                           "shown only once.")
                st.code(secret, language=None)
    tokens = service.tokens.list()
    if tokens:
        _listed(service, tokens)
    else:
        st.caption("No editor tokens yet.")


def _listed(service: AvatarService, tokens: list[TokenInfo]) -> None:
    st.dataframe([{"id": t.id, "name": t.name, "role": t.role,
                   "created": f"{t.created_at:%Y-%m-%d %H:%M}",
                   "status": "revoked" if t.revoked else "active"} for t in tokens],
                 hide_index=True, width="stretch")
    active = {t.id: t for t in tokens if not t.revoked}
    if active:
        revoke_id = st.selectbox("Token to revoke", list(active), key="settings_revoke_id",
                                 format_func=lambda i: f"#{i} {active[i].name}")
        if st.button("Revoke", key="settings_revoke"):
            act(lambda: service.tokens.revoke(revoke_id), "settings_tokens_flash",
                f"Token #{revoke_id} revoked.")
    if flash := st.session_state.pop("settings_tokens_flash", None):
        st.success(plain(flash), icon=":material/check_circle:")
