"""The eight emotions: what each looks like, and the lit LED face that shows it.

A face is drawn as a white-on-black mask (eyes, brows, mouth) clipped to the screen, then lit
twice, a blurred halo and a crisp core, like an LED panel. Emotion *cues* (thought dots, shock
lines, a tear, a sparkle) are painted separately, after anything worn over the eyes, so that a
pair of spectacles never hides them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

from .canvas import RGB, Box, Canvas, lighten
from .design import Robot
from .eyes import draw_brow, draw_eye
from .headwear import brim_half_width
from .mouth import draw_mouth

__all__ = ["EXPRESSIONS", "Expression", "FaceLayout", "draw_cues", "face_layout", "light_face"]

BLUSH: RGB = (251, 113, 133)
TEAR: RGB = (147, 197, 253)
MARK: RGB = (226, 232, 240)


@dataclass(frozen=True)
class Expression:
    """One emotion as eye states (viewer's left, right), brows, mouth and extra cues."""

    eyes: tuple[str, str]
    brows: tuple[str | None, str | None] = (None, None)
    mouth: str = "base"
    extras: tuple[str, ...] = ()
    tilt: float = 0.0


EXPRESSIONS: dict[str, Expression] = {
    "neutral": Expression(("open", "open")),
    "happy": Expression(("happy", "happy"), ("arc", "arc"), "grin", ("blush",)),
    "thoughtful": Expression(("up", "up"), ("flat", "high"), "side", ("dots",)),
    "surprised": Expression(("wide", "wide"), ("high", "high"), "o", ("shock",)),
    "determined": Expression(("fierce", "fierce"), ("v", "v"), "teeth"),
    "calm": Expression(("closed", "closed"), ("soft", "soft"), "soft"),
    "amused": Expression(("open", "wink"), ("high", "arc"), "lopsided", ("blush", "tear")),
    "curious": Expression(("small", "big"), ("flat", "high"), "squiggle", tilt=-10.0),
    "confident": Expression(("lidded", "lidded"), ("flat", "flat"), "smirk", ("sparkle",)),
}


@dataclass(frozen=True)
class FaceLayout:
    """Where the eyes sit on the screen; eyewear is placed on the same numbers."""

    screen: Box
    cx: float
    eye_y: float
    eye_dx: float
    eye_r: float

    def eye_x(self, side: int) -> float:
        return self.cx + side * self.eye_dx


def face_layout(screen: Box) -> FaceLayout:
    sx0, sy0, sx1, sy1 = screen
    sw, sh = sx1 - sx0, sy1 - sy0
    return FaceLayout(screen, (sx0 + sx1) / 2, sy0 + sh * 0.47, sw * 0.235,
                      min(sw * 0.105, sh * 0.15))


def _draw_blush(cv: Canvas, face: FaceLayout) -> None:
    cheeks, cd = cv.mask()
    r = face.eye_r
    for side in (-1, 1):
        bx, by = face.cx + side * face.eye_dx * 1.4, face.eye_y + r * 1.55
        cd.ellipse(cv.box((bx - r * 0.85, by - r * 0.42, bx + r * 0.85, by + r * 0.42)), fill=255)
    cv.fill(cv.soften(cheeks, 4), BLUSH, 0.85)


def light_face(cv: Canvas, robot: Robot, face: FaceLayout, emotion: str,
               glass: Image.Image) -> Image.Image:
    """Draw eyes, brows and mouth for ``emotion`` and light them in the robot's glow colour;
    returns their mask (a visor lights them again through its glass)."""
    expr = EXPRESSIONS[emotion]
    sx0, sy0, sx1, sy1 = face.screen
    sw, sh = sx1 - sx0, sy1 - sy0
    cx, ey, r = face.cx, face.eye_y, face.eye_r
    feat, d = cv.mask()
    for side, state in zip((-1, 1), expr.eyes, strict=True):
        # the seed's pose: a sideways glance
        shift = robot.gaze * r * 0.22 if state == "open" else 0.0
        draw_eye(cv, d, face.eye_x(side) + shift, ey, r, robot.eyes, state, side)
    for side, brow in zip((-1, 1), expr.brows, strict=True):
        if brow:
            draw_brow(cv, d, face.eye_x(side), ey, r, brow, side)
    draw_mouth(cv, d, cx, sy0 + sh * 0.8, sw * 0.36, r * 0.34, expr.mouth, robot.mouth)
    feat = cv.clip(feat, glass)
    if "blush" in expr.extras:
        _draw_blush(cv, face)
    cv.fill(cv.soften(feat, 16), robot.palette.glow, 0.9)
    cv.fill(feat, lighten(robot.palette.glow, 0.45))
    return feat


def _sparkle(cv: Canvas, cx: float, cy: float, radius: float, colour: RGB) -> None:
    pts = []
    for i in range(8):
        rr = radius if i % 2 == 0 else radius * 0.26
        a = math.radians(i * 45 - 90)
        pts.append((cv.px(cx + rr * math.cos(a)), cv.px(cy + rr * math.sin(a))))
    cv.draw.polygon(pts, fill=colour)


def _draw_tear(cv: Canvas, face: FaceLayout, glass: Image.Image) -> None:
    r = face.eye_r
    tx, ty = face.eye_x(1) + r * 1.45, face.eye_y + r * 0.55
    tear, d = cv.mask()
    d.ellipse(cv.box((tx - r * 0.4, ty, tx + r * 0.4, ty + r * 0.8)), fill=255)
    d.polygon([(cv.px(tx - r * 0.38), cv.px(ty + r * 0.3)), (cv.px(tx), cv.px(ty - r * 0.55)),
               (cv.px(tx + r * 0.38), cv.px(ty + r * 0.3))], fill=255)
    cv.fill(cv.clip(tear, glass), TEAR)


def _thought_dots(md: ImageDraw.ImageDraw, cv: Canvas, robot: Robot, head: Box) -> None:
    """Three rising dots above the head's right side, inside the circular crop; beside a hat's
    brim, steeper and a little smaller, when one is worn."""
    x, y, step, radii = 680.0, head[1] - 26, (36.0, 36.0), (11, 15, 20)
    if robot.wears("hat"):
        x = 512 + brim_half_width(head[2] - head[0]) + 24
        y, step, radii = head[1] - 14, (24.0, 36.0), (10, 13, 17)
    for i, rad in enumerate(radii):
        dot_x, dot_y = x + i * step[0], y - i * step[1]
        md.ellipse(cv.box((dot_x - rad, dot_y - rad, dot_x + rad, dot_y + rad)), fill=255)


def draw_cues(cv: Canvas, robot: Robot, head: Box, face: FaceLayout, emotion: str,
              glass: Image.Image) -> None:
    """The emotion's extra signs: thought dots, shock lines, a tear, a sparkle."""
    extras = EXPRESSIONS[emotion].extras
    hx0, hy0, hx1, _ = head
    marks, md = cv.mask()
    if "dots" in extras:
        _thought_dots(md, cv, robot, head)
    if "shock" in extras:
        for side, x in ((-1, hx0 - 12), (1, hx1 + 12)):
            for a in (-35, 0, 35):
                ang = math.radians(a - 90 + side * 55)
                x0, y0 = x + 30 * math.cos(ang), hy0 + 40 + 30 * math.sin(ang)
                cv.stroke(md, [(x0, y0), (x0 + 42 * math.cos(ang), y0 + 42 * math.sin(ang))], 13)
    if "tear" in extras:
        _draw_tear(cv, face, glass)
    cv.fill(marks, MARK)
    if "sparkle" in extras:
        _sparkle(cv, hx1 + 18, hy0 + 8, 46, lighten(robot.palette.glow, 0.6))
        _sparkle(cv, hx1 + 62, hy0 + 72, 22, MARK)
