"""What a robot wears on its neck and chest: a tie, a bow tie, a scarf, a shield emblem.

These belong to the body stage: they do not turn with the head. Their default colour is an
accent chosen to stand apart from the robot's own colours (a red scarf on a red robot would
vanish); a colour word in front of the accessory ("a teal scarf") overrides it.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence

from PIL import Image

from .canvas import NECK, RGB, STROKE, Box, Canvas, Point, darken, lighten
from .design import Robot

__all__ = ["ACCENTS", "accent", "draw_bow_tie", "draw_collar", "draw_scarf", "draw_shield",
           "draw_tie"]

ACCENTS: tuple[RGB, ...] = ((214, 48, 72), (245, 158, 11), (20, 184, 166), (99, 102, 241))
COLLAR: RGB = (236, 240, 246)


def _hue(colour: RGB) -> float:
    return colorsys.rgb_to_hls(*(v / 255 for v in colour))[0]


def _hue_gap(a: RGB, b: RGB) -> float:
    gap = abs(_hue(a) - _hue(b))
    return min(gap, 1 - gap)


def accent(robot: Robot) -> RGB:
    """The accent whose hue is farthest from both the body and the secondary colour."""
    pal = robot.palette
    return max(ACCENTS, key=lambda c: (min(_hue_gap(c, pal.body), _hue_gap(c, pal.secondary)), c))


def _polygon(cv: Canvas, pts: Sequence[Point]) -> Image.Image:
    mask, d = cv.mask()
    d.polygon([(cv.px(x), cv.px(y)) for x, y in pts], fill=255)
    return mask


def _outline(cv: Canvas, pts: Sequence[Point], colour: RGB,
             width: float = STROKE * 0.8) -> None:
    cv.stroke(cv.draw, [*pts, pts[0]], width, colour)


def draw_collar(cv: Canvas) -> None:
    """A white shirt collar under the neck, for a tie or a bow tie."""
    for side in (-1, 1):
        cv.draw.polygon([(cv.px(512 + side * 16), cv.px(800)),
                         (cv.px(512 + side * 118), cv.px(792)),
                         (cv.px(512 + side * 58), cv.px(905))], fill=COLLAR)


def draw_tie(cv: Canvas, robot: Robot) -> None:
    """A white collar and a long tie in a deep shade of the glow colour (or the tie's tint)."""
    draw_collar(cv)
    pts = [(496, 818), (528, 818), (542, 840), (532, 980), (512, 1010), (492, 980), (482, 840)]
    colour = robot.tint("tie", darken(robot.palette.glow, 0.35))
    cv.draw.polygon([(cv.px(x), cv.px(y)) for x, y in pts], fill=colour)


def draw_bow_tie(cv: Canvas, robot: Robot) -> None:
    """A bow tie at the throat, over the neck and the collar: two shaded wings and a knot."""
    colour = robot.tint("bow_tie", accent(robot))
    edge = darken(colour, 0.7)
    cy = 812.0
    for side in (-1, 1):
        wing = [(512 + side * 14, cy - 16), (512 + side * 70, cy - 42), (512 + side * 92, cy - 30),
                (512 + side * 92, cy + 30), (512 + side * 70, cy + 42), (512 + side * 14, cy + 16)]
        mask = _polygon(cv, wing)
        cv.gradient(mask, lighten(colour, 0.2), darken(colour, 0.3), (420, cy - 42, 604, cy + 42))
        crease = [(512 + side * 30, cy - 8), (512 + side * 74, cy - 20), (512 + side * 74, cy + 20),
                  (512 + side * 30, cy + 8)]
        cv.fill(_polygon(cv, crease), darken(colour, 0.25), 0.5)
        _outline(cv, wing, edge)
    cv.part("rounded", (494, cy - 22, 530, cy + 22), 10, lighten(colour, 0.1), darken(colour, 0.2),
            edge, STROKE * 0.8)


def draw_scarf(cv: Canvas, robot: Robot) -> None:
    """A knitted scarf wrapped round the neck with one striped, fringed end hanging down."""
    colour = robot.tint("scarf", accent(robot))
    edge = darken(colour, 0.7)
    stripe = lighten(colour, 0.55)
    tail = [(404, 742), (488, 742), (478, 952), (392, 940)]
    tail_mask = _polygon(cv, tail)
    cv.gradient(tail_mask, colour, darken(colour, 0.3), (392, 742, 488, 952))
    bands, d = cv.mask()
    for y in (852, 884):
        d.rectangle(cv.box((380, y, 500, y + 16)), fill=255)
    cv.fill(cv.clip(bands, tail_mask), stripe)
    _outline(cv, tail, edge)
    for i in range(6):  # the fringe
        x = 398 + i * 15.5
        cv.stroke(cv.draw, [(x, 944 + i * 1.8), (x - 2, 974 + i * 1.8)], 6, darken(colour, 0.1))
    wrap_box = (NECK[0] - 62, 668, NECK[2] + 62, 790)
    wrap = cv.part("rounded", wrap_box, 56, lighten(colour, 0.15), darken(colour, 0.25), edge,
                   STROKE)
    folds, d = cv.mask()
    for y in (708, 748):
        cv.stroke(d, [(wrap_box[0] + 10, y - 8), (512, y + 8), (wrap_box[2] - 10, y - 8)], 6)
    cv.fill(cv.clip(folds, wrap), darken(colour, 0.35), 0.6)
    ribs, d = cv.mask()
    for k in range(-12, 13):
        x = 512 + k * 12
        d.line(cv.box((x, wrap_box[1], x, wrap_box[3])), fill=255, width=cv.px(2))
    cv.fill(cv.clip(ribs, wrap), darken(colour, 0.2), 0.25)


def _star(cx: float, cy: float, r: float) -> list[Point]:
    return [(cx + (r if i % 2 == 0 else r * 0.42) * math.cos(math.radians(i * 36 - 90)),
             cy + (r if i % 2 == 0 else r * 0.42) * math.sin(math.radians(i * 36 - 90)))
            for i in range(10)]


def draw_shield(cv: Canvas, robot: Robot) -> None:
    """A shield emblem on the chest: metal rim, coloured field, a glowing star."""
    pal = robot.palette
    # centred on the chest, unless a tie or a scarf's end hangs there: then on the right breast
    off_centre = robot.wears("tie") or robot.wears("scarf")
    box: Box = (600, 850, 700, 970) if off_centre else (450, 846, 574, 990)
    x0, y0, x1, y1 = box
    inset = (x1 - x0) * 0.11
    field = robot.tint("shield", darken(pal.glow, 0.45))
    cv.part("shield", box, 0, lighten(pal.trim, 0.25), darken(pal.trim, 0.35),
            darken(pal.trim, 0.8), STROKE * 0.8)
    cv.part("shield", (x0 + inset, y0 + inset, x1 - inset, y1 - inset * 1.6), 0,
            lighten(field, 0.15), darken(field, 0.3), darken(field, 0.6), STROKE * 0.4)
    star = _star((x0 + x1) / 2, y0 + (y1 - y0) * 0.4, (x1 - x0) * 0.24)
    glow = _polygon(cv, star)
    cv.fill(cv.soften(glow, 6), pal.glow, 0.6)
    cv.fill(glow, lighten(pal.glow, 0.35))
