"""The Agent Detail emotion cycle: the next variant every 30 s, or at once on request.

The clock is ``streamlit-autorefresh`` (a rerun every ``EMOTION_CYCLE_MS``; it counts its ticks
and, being debounced, starts its 30 s again after every rerun a click causes). The position in
the canonical order is ``start + ticks since the last click``, kept in this browser session, so
"Next emotion" or a thumbnail moves on at once, the order stays the same, and the next automatic
step comes a full cycle after the click.
"""

from __future__ import annotations

import streamlit as st
from streamlit_autorefresh import st_autorefresh

from avatar_core import Emotion, EmotionSet, emotion_at

__all__ = ["EMOTION_CYCLE_MS", "TICK_KEY", "cycle_emotion", "face_change", "next_emotion",
           "show_emotion"]

EMOTION_CYCLE_MS = 30_000
TICK_KEY = "detail_refresh"  # the autorefresh component's key; its value is the tick count
_STATE = "detail_cycle"  # {"agent": name, "start": position, "anchor": tick at the last click}
_FACE = "detail_face"  # (agent, url) of the face drawn last


def _tick() -> int:
    return int(st.session_state.get(TICK_KEY) or 0)


def _state(agent: str) -> dict[str, int | str]:
    state = st.session_state.get(_STATE)
    if not isinstance(state, dict) or state.get("agent") != agent:
        state = {"agent": agent, "start": 0, "anchor": _tick()}
        st.session_state[_STATE] = state
    return state


def _position(agent: str, tick: int) -> int:
    state = _state(agent)
    if tick < int(state["anchor"]):  # the timer was away (dialog open): count from here
        state["anchor"] = tick
    return int(state["start"]) + tick - int(state["anchor"])


def cycle_emotion(agent: str, emotions: EmotionSet, *, paused: bool) -> Emotion | None:
    """The emotion to show now (None: the base avatar). The 30 s timer is on the page while
    there is something to cycle or variants are still being drawn (they join the cycle as they
    are ready), unless ``paused`` (a dialog is open: a rerun would interrupt typing) or the
    avatar cannot have variants at all."""
    available = emotions.emotions
    if not paused and not emotions.unavailable and (len(available) > 1 or emotions.pending):
        st_autorefresh(interval=EMOTION_CYCLE_MS, key=TICK_KEY)
    return emotion_at(_position(agent, _tick()), available)


def next_emotion(agent: str) -> None:
    """Button callback: one step on in the canonical order, the 30 s starting again."""
    tick = _tick()
    position = _position(agent, tick)
    st.session_state[_STATE] = {"agent": agent, "start": position + 1, "anchor": tick}


def show_emotion(agent: str, available: list[Emotion], emotion: Emotion) -> None:
    """Button callback: show ``emotion`` now; the cycle carries on from it."""
    if emotion in available:
        st.session_state[_STATE] = {"agent": agent, "start": available.index(emotion),
                                    "anchor": _tick()}


def face_change(agent: str, url: str | None) -> str | None:
    """The face this session showed before, when it differs from ``url`` (the crossfade starts
    from it); remembers ``url`` for the next run. None on the first view or another agent."""
    before = st.session_state.get(_FACE)
    st.session_state[_FACE] = (agent, url)
    if isinstance(before, tuple) and before[0] == agent and before[1] != url:
        return str(before[1]) if before[1] else None
    return None
