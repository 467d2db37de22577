"""The Agent Detail emotion cycle's clock: a rerun every 30 s (``streamlit-autorefresh``)."""

from __future__ import annotations

from streamlit_autorefresh import st_autorefresh

__all__ = ["EMOTION_CYCLE_MS", "emotion_tick"]

EMOTION_CYCLE_MS = 30_000


def emotion_tick(key: str) -> int:
    """How many 30 s ticks this page has seen; ``emotion_at`` turns it into an emotion."""
    return int(st_autorefresh(interval=EMOTION_CYCLE_MS, key=key) or 0)
