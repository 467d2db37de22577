"""Running a service action from a button, and asking before one: one way each to show an
action's error or its success, and one Yes/Cancel question."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import streamlit as st

from avatar_core import AvatarError, GenerationError

from .dashboard import refresh_data
from .text import plain

__all__ = ["act", "ask", "confirm", "show_error"]

T = TypeVar("T")


def show_error(exc: AvatarError) -> None:
    """An error from the service as the user should see it: reason, detail and hint. The
    detail may quote user input, so it is shown as text."""
    if isinstance(exc, GenerationError):
        st.error(f"**{exc.reason.value}** — {plain(exc.detail)}\n\n**Hint:** "
                 f"{exc.reason.hint}", icon=":material/warning:")
    else:
        st.error(plain(exc.detail), icon=":material/warning:")


def act(action: Callable[[], T], flash_key: str | None = None,
        message: str | Callable[[T], str] = "", *, spinner: str | None = None,
        forget: Iterable[str] = (), refresh: bool = True) -> T | None:
    """Run a service action: on failure show the error in place and return None.

    On success refresh the cached data (unless ``refresh`` is off: a read), forget the
    ``forget`` session keys and return the result — or, with a ``flash_key``, leave
    ``message`` for the next run under it and rerun.
    """
    try:
        if spinner:
            with st.spinner(spinner):
                result = action()
        else:
            result = action()
    except AvatarError as exc:
        show_error(exc)
        return None
    if refresh:
        refresh_data()
    for key in forget:
        st.session_state.pop(key, None)
    if flash_key is None:
        return result
    st.session_state[flash_key] = message(result) if callable(message) else message
    st.rerun()


def ask(key: str, subject: object = True) -> None:
    """Open the question ``key`` about ``subject``: ``confirm`` asks it from now on."""
    st.session_state[key] = subject


def confirm(key: str, question: str, yes: str, *, subject: object = True,
            buttons: str | None = None) -> bool:
    """A Yes/Cancel question, shown while ``ask(key, subject)`` is open: True on the run Yes
    was pressed (the question closes); Cancel closes it and reruns. ``question`` is Markdown:
    quote data with ``plain``. The buttons' keys are ``<buttons>_yes`` and ``<buttons>_no``."""
    if st.session_state.get(key) != subject:
        return False
    st.warning(question)
    prefix = buttons or key
    yes_column, no_column = st.columns(2)
    if yes_column.button(yes, type="primary", key=f"{prefix}_yes"):
        st.session_state.pop(key, None)
        return True
    if no_column.button("Cancel", key=f"{prefix}_no"):
        st.session_state.pop(key, None)
        st.rerun()
    return False
