"""Things worn over the eyes: spectacles.

These are the only accessories allowed over the eyes, so they are placed on the face's own
layout (``FaceLayout``) and drawn after the face is lit, before the emotion cues.
"""

from __future__ import annotations

from .canvas import Canvas, arc_points
from .design import Robot
from .face import FaceLayout

__all__ = ["draw_eyewear"]

FRAME_GOLD = (222, 184, 96)


def _draw_spectacles(cv: Canvas, face: FaceLayout) -> None:
    """Round gold frames around both eyes, arms to the screen's edges, a bridge between."""
    fd, gold = cv.draw, FRAME_GOLD
    sx0, _, sx1, _ = face.screen
    cx, ey, dx, r = face.cx, face.eye_y, face.eye_dx, face.eye_r
    fr = r * 1.5
    for side in (-1, 1):
        ex = cx + side * dx
        fd.ellipse(cv.box((ex - fr, ey - fr, ex + fr, ey + fr)), outline=gold, width=cv.px(10))
        arm = [(ex + side * fr, ey - r * 0.3), (sx0 if side < 0 else sx1, ey - r * 0.6)]
        cv.stroke(fd, arm, 10, gold)
    cv.stroke(fd, arc_points(cx, ey - r * 0.2, dx - fr, r * 0.45, 200, 340, 12), 10, gold)


def draw_eyewear(cv: Canvas, robot: Robot, face: FaceLayout) -> None:
    if robot.spectacles:
        _draw_spectacles(cv, face)
