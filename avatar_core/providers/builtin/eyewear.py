"""Things worn over the eyes: spectacles, a monocle, a visor.

These are the only accessories allowed over the eyes, so they are placed on the face's own
layout (``FaceLayout``) and drawn after the face is lit, before the emotion cues. Frames are
thin and open, so every expression still reads through them; the visor is tinted glass with
the face lit again through it, like a heads-up display.
"""

from __future__ import annotations

from PIL import Image

from .canvas import RGB, WHITE, Canvas, arc_points, darken, lighten
from .design import Robot
from .face import FaceLayout

__all__ = ["FRAME_GOLD", "draw_eyewear"]

FRAME_GOLD: RGB = (222, 184, 96)


def _draw_spectacles(cv: Canvas, face: FaceLayout, colour: RGB) -> None:
    """Round frames around both eyes, arms to the screen's edges, a bridge between."""
    fd = cv.draw
    sx0, _, sx1, _ = face.screen
    cx, ey, dx, r = face.cx, face.eye_y, face.eye_dx, face.eye_r
    fr = r * 1.5
    for side in (-1, 1):
        ex = cx + side * dx
        fd.ellipse(cv.box((ex - fr, ey - fr, ex + fr, ey + fr)), outline=colour, width=cv.px(10))
        arm = [(ex + side * fr, ey - r * 0.3), (sx0 if side < 0 else sx1, ey - r * 0.6)]
        cv.stroke(fd, arm, 10, colour)
    cv.stroke(fd, arc_points(cx, ey - r * 0.2, dx - fr, r * 0.45, 200, 340, 12), 10, colour)


def _draw_monocle(cv: Canvas, face: FaceLayout, colour: RGB) -> None:
    """A thick ring round the viewer's right eye, a glint on its glass, a beaded chain."""
    _, _, sx1, sy1 = face.screen
    r = face.eye_r
    ex, ey, fr = face.eye_x(1), face.eye_y, r * 1.62
    lens, d = cv.mask()
    d.ellipse(cv.box((ex - fr, ey - fr, ex + fr, ey + fr)), fill=255)
    cv.fill(lens, WHITE, 0.08)
    shine, d = cv.mask()
    cv.stroke(d, arc_points(ex, ey, fr * 0.72, fr * 0.72, 200, 250, 10), 6)
    cv.fill(shine, WHITE, 0.7)
    cv.draw.ellipse(cv.box((ex - fr - 7, ey - fr - 7, ex + fr + 7, ey + fr + 7)),
                    outline=darken(colour, 0.6), width=cv.px(18))
    cv.draw.ellipse(cv.box((ex - fr - 5, ey - fr - 5, ex + fr + 5, ey + fr + 5)),
                    outline=colour, width=cv.px(13))
    start, end = (ex + fr * 0.72, ey + fr * 0.72), (sx1 - 8, sy1 - 14)
    sag = (max(start[0], end[0]) - 6, max(start[1], end[1]) + 18)
    for i in range(1, 12):  # beads along a sagging quadratic curve
        t = i / 12
        x = (1 - t) ** 2 * start[0] + 2 * (1 - t) * t * sag[0] + t * t * end[0]
        y = (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * sag[1] + t * t * end[1]
        cv.draw.ellipse(cv.box((x - 4.5, y - 4.5, x + 4.5, y + 4.5)), fill=colour)


def _draw_visor(cv: Canvas, face: FaceLayout, colour: RGB, skull: Image.Image,
                features: Image.Image, glow: RGB) -> None:
    """A tinted band of glass across the eyes, wrapping to the head's edges."""
    sx0, _, sx1, _ = face.screen
    r, ey = face.eye_r, face.eye_y
    band, d = cv.mask()
    box = (sx0 - 70, ey - r * 1.9, sx1 + 70, ey + r * 1.65)
    d.rounded_rectangle(cv.box(box), radius=cv.px(r * 1.2), fill=255)
    band = cv.clip(band, skull)
    cv.fill(band, darken(colour, 0.55), 0.55)
    edge, d = cv.mask()
    d.rounded_rectangle(cv.box(box), radius=cv.px(r * 1.2), outline=255, width=cv.px(7))
    cv.fill(cv.clip(edge, skull), lighten(colour, 0.35), 0.95)
    glare, d = cv.mask()
    d.polygon([(cv.px(sx0 + 30), cv.px(box[1])), (cv.px(sx0 + 110), cv.px(box[1])),
               (cv.px(sx0 + 60), cv.px(box[3])), (cv.px(sx0 - 20), cv.px(box[3]))], fill=255)
    cv.fill(cv.clip(glare, band), WHITE, 0.16)
    cv.fill(cv.clip(features, band), lighten(glow, 0.55), 0.85)


def draw_eyewear(cv: Canvas, robot: Robot, face: FaceLayout, skull: Image.Image,
                 features: Image.Image) -> None:
    """Whatever the robot wears over its eyes, in front of the lit face."""
    if robot.wears("visor"):
        _draw_visor(cv, face, robot.tint("visor", robot.palette.glow), skull, features,
                    robot.palette.glow)
    if robot.wears("spectacles"):
        _draw_spectacles(cv, face, robot.tint("spectacles", FRAME_GOLD))
    if robot.wears("monocle"):
        _draw_monocle(cv, face, robot.tint("monocle", FRAME_GOLD))
