"""Mouths, drawn white-on-black into the face mask: one small function per shape.

``base`` in an expression means "the robot's own mouth" (smile, line, grille, wave), so a
neutral face keeps the character the name gave it while emotions bring their own shapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import ImageDraw

from .canvas import Canvas, arc_points

__all__ = ["MOUTHS", "draw_mouth"]

# (canvas, mask draw, centre x, centre y, mouth width, line thickness)
MouthShape = Callable[[Canvas, ImageDraw.ImageDraw, float, float, float, float], None]


def _smile(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    cv.stroke(d, arc_points(mx, my - mw * 0.3, mw * 0.42, mw * 0.3, 25, 155), t)


def _line(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    cv.stroke(d, [(mx - mw * 0.36, my), (mx + mw * 0.36, my)], t)


def _grille(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float,
            t: float) -> None:
    for i in range(4):
        x = mx + (i - 1.5) * mw * 0.2
        bar = (x - t * 0.45, my - mw * 0.12, x + t * 0.45, my + mw * 0.12)
        d.rounded_rectangle(cv.box(bar), radius=cv.px(t * 0.45), fill=255)


def _sine(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, width: float, amp: float,
          turns: float, t: float, shift: float = 0.0) -> None:
    x0 = mx - width / 2 + shift
    pts = [(x0 + width * i / 30, my + amp * math.sin(i / 30 * turns * 2 * math.pi))
           for i in range(31)]
    cv.stroke(d, pts, t)


def _wave(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    _sine(cv, d, mx, my, mw * 0.8, mw * 0.06, 1.5, t)


def _squiggle(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float,
              t: float) -> None:
    _sine(cv, d, mx, my, mw * 0.55, mw * 0.09, 2.0, t * 0.85, shift=mw * 0.12)


def _open_smile(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float,
                lopsided: bool) -> None:
    """A filled half-moon: wide and level (grin), or smaller and tipped (lopsided)."""
    w = mw * (0.42 if lopsided else 0.58)
    top = my - mw * 0.22
    pts = arc_points(0, 0, w, mw * (0.36 if lopsided else 0.5), 0, 180, 32)
    angle = math.radians(-13) if lopsided else 0.0
    ox = mx + (mw * 0.14 if lopsided else 0)
    rot = [(ox + x * math.cos(angle) - y * math.sin(angle),
            top + x * math.sin(angle) + y * math.cos(angle)) for x, y in pts]
    d.polygon([(cv.px(x), cv.px(y)) for x, y in rot], fill=255)
    cv.stroke(d, [*rot, rot[0]], t * 0.6)


def _grin(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    _open_smile(cv, d, mx, my, mw, t, lopsided=False)


def _lopsided(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float,
              t: float) -> None:
    _open_smile(cv, d, mx, my, mw, t, lopsided=True)


def _o(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    d.ellipse(cv.box((mx - mw * 0.17, my - mw * 0.26, mx + mw * 0.17, my + mw * 0.18)),
              outline=255, width=cv.px(t))


def _teeth(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    box = (mx - mw * 0.42, my - mw * 0.15, mx + mw * 0.42, my + mw * 0.15)
    d.rounded_rectangle(cv.box(box), radius=cv.px(mw * 0.09), fill=255)
    gap = t * 0.32
    d.rectangle(cv.box((box[0], my - gap / 2, box[2], my + gap / 2)), fill=0)
    for i in (-1, 0, 1):
        x = mx + i * mw * 0.21
        d.rectangle(cv.box((x - gap / 2, box[1], x + gap / 2, box[3])), fill=0)


def _soft(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    cv.stroke(d, arc_points(mx, my - mw * 0.22, mw * 0.3, mw * 0.2, 30, 150), t * 0.9)


def _side(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    cv.stroke(d, [(mx + mw * 0.02, my + mw * 0.03), (mx + mw * 0.36, my - mw * 0.03)], t)


def _smirk(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float) -> None:
    pts = [(mx - mw * 0.36 + mw * 0.78 * i / 20, my + mw * 0.04 - mw * 0.26 * (i / 20) ** 2.2)
           for i in range(21)]
    cv.stroke(d, pts, t)


MOUTHS: dict[str, MouthShape] = {
    "smile": _smile, "line": _line, "grille": _grille, "wave": _wave, "squiggle": _squiggle,
    "grin": _grin, "lopsided": _lopsided, "o": _o, "teeth": _teeth, "soft": _soft,
    "side": _side, "smirk": _smirk,
}


def draw_mouth(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float,
               kind: str, base: str) -> None:
    """The expression's mouth ``kind`` (or the robot's own ``base`` one) centred on (mx, my)."""
    MOUTHS[base if kind == "base" else kind](cv, d, mx, my, mw, t)
