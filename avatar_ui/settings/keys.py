"""Settings → AI keys: the Gemini key (saved, tested, removed) and the image provider."""

from __future__ import annotations

import streamlit as st

from avatar_core import KEY_SAVED, PROVIDER_CHOICES, AvatarService

from ..actions import act
from ..admin import require_admin
from ..text import plain

__all__ = ["show"]

_PROVIDER_LABELS = {"auto": "Auto (Gemini when a key is set)", "gemini": "Gemini",
                    "builtin": "Built-in offline renderer"}


def show(service: AvatarService, unlocked: bool) -> None:
    _key(service, unlocked)
    _provider(service, unlocked)


def _key(service: AvatarService, unlocked: bool) -> None:
    st.subheader("Gemini API key")
    providers = service.providers
    masked, source = providers.masked_key(), providers.key_source()
    if problem := providers.saved_key_problem():
        st.warning(problem, icon=":material/key_off:")
    if masked:
        st.markdown(f"Current key: `{masked}` ({source})")
    else:
        st.markdown("No key configured: avatars come from the built-in offline renderer.")
    if unlocked:
        with st.form("settings_key_form", clear_on_submit=True):
            new_key = st.text_input("New Gemini API key", type="password", key="settings_key",
                                    help="Stored in the database; overrides GEMINI_API_KEY. "
                                    "Never shown again.")
            if st.form_submit_button("Save key"):
                act(lambda: providers.save_key(new_key), "settings_flash", "Key saved.")
        test_col, remove_col = st.columns(2)
        if test_col.button("Test key", key="settings_key_test", disabled=not masked,
                           help="Asks Gemini about the model the key would use: free, no image"):
            with st.spinner("Asking Gemini about the key…"):
                ok, message = providers.test_key()
            (st.success if ok else st.error)(plain(message))
        if remove_col.button("Remove saved key", key="settings_key_remove",
                             disabled=source != KEY_SAVED,
                             help="The environment's key, if any, cannot be removed here"):
            act(providers.remove_key, "settings_flash", "Saved key removed.")
    else:
        require_admin("Changing the key")
    if flash := st.session_state.pop("settings_flash", None):
        st.success(flash, icon=":material/check_circle:")


def _provider(service: AvatarService, unlocked: bool) -> None:
    st.subheader("Provider")
    current = service.providers.choice()
    choice = st.radio("Image provider", PROVIDER_CHOICES, index=PROVIDER_CHOICES.index(current),
                      format_func=_PROVIDER_LABELS.__getitem__, horizontal=True,
                      key="settings_provider", disabled=not unlocked)
    if unlocked and choice != current:
        act(lambda: service.providers.set_choice(choice))
    st.markdown(f"Active now: **{plain(service.providers.label())}**")
    if (chosen := service.providers.model_in_use()) is not None:
        st.caption(f"Image model: **{plain(chosen.model)}** — {plain(chosen.why)}")
