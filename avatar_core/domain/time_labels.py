"""Clock, day and duration labels for the timeline's axis and hover titles.

Whole columns are formatted at once: each distinct minute or duration is formatted once and
spread back over the column, which keeps a week of a big fleet cheap to label.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

import numpy as np
import pandas as pd

__all__ = ["clock", "clock_labels", "duration_labels", "duration_text", "local_minutes", "ticks"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_TICK_STEPS: tuple[timedelta, ...] = (
    *(timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30)),
    *(timedelta(hours=h) for h in (1, 2, 3, 4, 6, 12)),
    *(timedelta(days=d) for d in (1, 2, 3, 4, 7, 14, 28)),
)


def _day_label(moment: datetime) -> str:
    return f"{_WEEKDAYS[moment.weekday()]} {moment.day:02d}"


def ticks(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[float, str]]:
    """Ticks at round local times: the smallest step giving fewer than 8 steps in the window."""
    span = end - start
    step = next((s for s in _TICK_STEPS if span / s < 8), _TICK_STEPS[-1])
    local = start.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if step < timedelta(days=1):
        moment = midnight + step * math.ceil((local - midnight) / step)
    else:
        moment = midnight if midnight >= local else midnight + timedelta(days=1)
    found = []
    while moment <= end:
        at_midnight = (moment.hour, moment.minute) == (0, 0)
        label = _day_label(moment) if at_midnight else f"{moment.hour:02d}:{moment.minute:02d}"
        found.append((round((moment - start) / span * 100, 3), label))
        moment = (moment + step).astimezone(tz)
    return found


def duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def clock(moment: datetime, with_day: bool) -> str:
    text = f"{moment.hour:02d}:{moment.minute:02d}"
    return f"{_day_label(moment)} {text}" if with_day else text


def local_minutes(column: pd.Series, tz: tzinfo) -> np.ndarray:
    """Wall-clock minutes since 1970 in ``tz``: cheap to compare and to format."""
    local = column.dt.tz_convert(tz).dt.tz_localize(None)
    minutes: np.ndarray = local.to_numpy().astype("datetime64[m]").astype(np.int64)
    return minutes


def clock_labels(minutes: np.ndarray, with_day: bool) -> np.ndarray:
    """Wall-clock labels for minutes since 1970, formatted by pandas in one C-level pass."""
    if not len(minutes):
        return np.array([], dtype=object)
    distinct, inverse = np.unique(minutes, return_inverse=True)
    moments = pd.DatetimeIndex(distinct.astype("datetime64[m]"))
    text = moments.strftime("%H:%M").to_numpy(dtype=object)
    if with_day:
        days = np.array(_WEEKDAYS, dtype=object)[moments.day_of_week.to_numpy()]
        text = days + " " + moments.strftime("%d").to_numpy(dtype=object) + " " + text
    labels: np.ndarray = text[inverse]
    return labels


def duration_labels(seconds: np.ndarray) -> np.ndarray:
    return _labels(np.rint(seconds).astype(np.int64), duration_text)


def _labels(values: np.ndarray, format_one: Callable[[int], str]) -> np.ndarray:
    """``format_one`` applied to each distinct value once, spread back over the array."""
    distinct, inverse = np.unique(values, return_inverse=True)
    texts = np.array([format_one(int(value)) for value in distinct] + [""], dtype=object)
    labels: np.ndarray = texts[:-1][inverse] if len(values) else np.array([], dtype=object)
    return labels
