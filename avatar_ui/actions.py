"""Running a service action from a button: one way to show its error or its success."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import streamlit as st

from avatar_core import AvatarError, GenerationError

from .dashboard import refresh_data
from .text import plain

__all__ = ["act", "show_error"]

T = TypeVar("T")


def show_error(exc: AvatarError) -> None:
    """An error from the service as the user should see it: reason, detail and hint. The
    detail may quote user input, so it is shown as text."""
    if isinstance(exc, GenerationError):
        st.error(f"**{exc.reason.value}** — {plain(exc.detail)}\n\n**Hint:** "
                 f"{exc.reason.hint}", icon=":material/warning:")
    else:
        st.error(plain(exc.detail), icon=":material/warning:")


def act(action: Callable[[], T], flash_key: str, message: str | Callable[[T], str], *,
        spinner: str | None = None, forget: Iterable[str] = ()) -> None:
    """Run a service action for a button: on failure show the error in place; on success
    refresh the cached data, forget the ``forget`` session keys, leave ``message`` for the next
    run under ``flash_key`` and rerun."""
    try:
        if spinner:
            with st.spinner(spinner):
                result = action()
        else:
            result = action()
    except AvatarError as exc:
        show_error(exc)
        return
    refresh_data()
    for key in forget:
        st.session_state.pop(key, None)
    st.session_state[flash_key] = message(result) if callable(message) else message
    st.rerun()
