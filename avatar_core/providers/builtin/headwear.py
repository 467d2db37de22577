"""What a robot wears on its head: a top hat, a headset with a microphone, a radio antenna.

Sized for the circular crop: the hat's crown and the antenna's waves stay inside the circle
the dashboard cuts (its half-width near the top is only about 200 of 1024 units), and the
microphone stops at the corner of the screen, clear of the mouth.
"""

from __future__ import annotations

from .canvas import HEAD_Y, RGB, STROKE, WHITE, Canvas, arc_points, darken, disc, lighten, rod
from .design import Robot
from .head import HeadFrame

__all__ = ["HAT_HEIGHT", "brim_half_width", "draw_earcups", "draw_hat", "draw_headband",
           "draw_mast"]

HAT_HEIGHT = 148.0  # crown top above the head's top, in 1024-units
HAT: RGB = (40, 42, 56)
HEADSET: RGB = (104, 112, 134)


def brim_half_width(head_width: float) -> float:
    """Half the hat's brim: narrower than the head, so the hat sits on it rather than over it."""
    return min(head_width * 0.33, 190.0)


def draw_hat(cv: Canvas, robot: Robot, frame: HeadFrame) -> None:
    """A top hat sitting on the crown: brim, tall crown with a sheen, a band in an accent."""
    colour = robot.tint("hat", HAT)
    edge = darken(colour, 0.75) if colour != HAT else (14, 16, 26)
    top = frame.head[1]
    half_brim = brim_half_width(frame.width)
    crown = (512 - 100, top - HAT_HEIGHT, 512 + 100, top - 6)
    hat = cv.part("rounded", crown, 16, lighten(colour, 0.16), darken(colour, 0.3), edge, STROKE)
    band, d = cv.mask()
    d.rectangle(cv.box((crown[0], top - 56, crown[2], top - 16)), fill=255)
    ribbon = robot.palette.glow if colour == HAT else darken(colour, 0.45)
    cv.fill(cv.clip(band, hat), ribbon, 0.9)
    sheen, d = cv.mask()
    d.rounded_rectangle(cv.box((crown[0] + 24, crown[1] + 16, crown[0] + 52, top - 66)),
                        radius=cv.px(14), fill=255)
    cv.fill(cv.clip(cv.soften(sheen, 6), hat), WHITE, 0.22)
    cv.part("rounded", (512 - half_brim, top - 24, 512 + half_brim, top + 12), 18,
            lighten(colour, 0.22), darken(colour, 0.25), edge, STROKE)


def _band_points(frame: HeadFrame) -> list[tuple[float, float]]:
    rx, ry = frame.width / 2 + 18, frame.height / 2 + 42
    return arc_points(512, HEAD_Y - 6, rx, ry, 180, 360, 40)


def draw_headband(cv: Canvas, robot: Robot, frame: HeadFrame) -> None:
    """The headset's band arching over the head; drawn before the head, so only the arch shows."""
    colour = robot.tint("headset", HEADSET)
    pts = _band_points(frame)
    cv.stroke(cv.draw, pts, 34 + 2 * STROKE, darken(colour, 0.75))
    cv.stroke(cv.draw, pts, 34, colour)
    cv.stroke(cv.draw, arc_points(512, HEAD_Y - 6, frame.width / 2 + 12, frame.height / 2 + 50,
                                  200, 300, 24), 6, lighten(colour, 0.3))


def draw_earcups(cv: Canvas, robot: Robot, frame: HeadFrame) -> None:
    """Two ear cups over the sides of the head, each with a glowing ring, and a boom mic."""
    colour = robot.tint("headset", HEADSET)
    edge = darken(colour, 0.75)
    x0, _, x1, _ = frame.head
    for side, cx in ((-1, x0 - 12), (1, x1 + 12)):
        cv.part("rounded", (cx - 40, HEAD_Y - 90, cx + 40, HEAD_Y + 90), 38,
                lighten(colour, 0.18), darken(colour, 0.35), edge, STROKE)
        ring, d = cv.mask()
        d.rounded_rectangle(cv.box((cx - 22 + side * 6, HEAD_Y - 56, cx + 22 + side * 6,
                                    HEAD_Y + 56)), radius=cv.px(22), outline=255,
                            width=cv.px(7))
        cv.fill(cv.soften(ring, 5), robot.palette.glow, 0.6)
        cv.fill(ring, lighten(robot.palette.glow, 0.3))
    sx0, _, _, sy1 = frame.screen
    boom = arc_points(sx0 + 10, HEAD_Y + 70, sx0 - x0 + 2, sy1 - HEAD_Y - 70, 180, 90, 16)
    boom = [(x0 - 12, HEAD_Y + 64), *boom]
    cv.stroke(cv.draw, boom, 12 + 2 * STROKE * 0.8, edge)
    cv.stroke(cv.draw, boom, 12, lighten(colour, 0.1))
    mx, my = boom[-1]
    cv.part("rounded", (mx - 10, my - 20, mx + 40, my + 20), 20, lighten(colour, 0.2),
            darken(colour, 0.3), edge, STROKE * 0.8)
    disc(cv, mx + 24, my, 8, robot.palette.glow)


def _waves(cv: Canvas, robot: Robot, tip: tuple[float, float], radii: tuple[float, ...]) -> None:
    waves, d = cv.mask()
    for radius in radii:
        for a0, a1 in ((-40, 40), (140, 220)):
            cv.stroke(d, arc_points(tip[0], tip[1], radius, radius, a0, a1, 14), 8)
    cv.fill(cv.soften(waves, 6), robot.palette.glow, 0.5)
    cv.fill(waves, lighten(robot.palette.glow, 0.25), 0.95)


def draw_mast(cv: Canvas, robot: Robot, frame: HeadFrame) -> None:
    """A tall radio antenna with a glowing tip sending waves.

    Under a top hat there is no room above the head inside the crop, so the antenna rises from
    the viewer's left side instead, where no emotion cue is drawn.
    """
    pal = robot.palette
    x0, top = frame.head[0], frame.head[1]
    dark = darken(pal.trim, 0.8)
    if robot.wears("hat"):
        base, tip = (x0 + 70, top + 70), (x0 + 16, top - 34)
        rod(cv, base, tip, 12, pal.trim, dark)
        disc(cv, tip[0], tip[1], 19, pal.glow, halo=2.2)
        _waves(cv, robot, tip, (32,))
        return
    tip = (512 + robot.lean * 0.3, top - 108)
    rod(cv, (512, top + 20), tip, 13, pal.trim, dark)
    disc(cv, 512 + robot.lean * 0.15, top - 36, 14, pal.trim)  # a collar halfway up
    disc(cv, tip[0], tip[1], 21, pal.glow, halo=2.0)
    _waves(cv, robot, tip, (40, 62))
