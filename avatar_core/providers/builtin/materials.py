"""Materials: how a named material paints the head shell and the shoulders.

Each material is a colour to use when the prompt names none, a vertical sheen (colour stops
over the part's height) and a finish painted on top: sharp specular streaks for chrome, a
warm soft sheen for the yellow metals (a glint for gold, brushed lines for brass), grain and
a knot for wood, a glossy glaze with a window reflection for porcelain, and nothing at all for
matte. The screen covers the middle of the face, so every finish is placed where the shell
shows: the forehead band, the sides and the chin.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image

from .canvas import RGB, WHITE, Box, Canvas, Stops, darken, lighten

__all__ = ["MATERIALS", "Material", "finish", "sheen"]


@dataclass(frozen=True)
class Material:
    """A material's own colour, and how light its body colour may be (porcelain is white)."""

    name: str
    colour: RGB
    brightest: float = 0.8
    trim: RGB | None = None  # ears and neck; None keeps the palette's silver or slate


MATERIALS: Mapping[str, Material] = MappingProxyType({
    "chrome": Material("chrome", (184, 194, 212), brightest=0.78),
    # the three yellow metals kept apart in hue and saturation: muted olive brass, red-orange
    # copper, bright saturated gold
    "brass": Material("brass", (176, 150, 84)),
    "copper": Material("copper", (196, 110, 60)),
    "gold": Material("gold", (218, 170, 52)),
    "wood": Material("wood", (158, 104, 60), trim=(190, 156, 80)),
    "porcelain": Material("porcelain", (238, 234, 226), brightest=0.9),
    "matte": Material("matte", (46, 50, 62)),
})


def sheen(material: str, colour: RGB, low: RGB) -> Stops:
    """Colour stops top→bottom for a part of ``colour`` (``low`` for two-tone bottoms)."""
    if material == "chrome":  # sky, a sharp dark horizon, ground, and a second reflection
        return [(0.0, lighten(colour, 0.8)), (0.08, lighten(colour, 0.4)),
                (0.13, darken(colour, 0.58)), (0.24, darken(colour, 0.2)),
                (0.5, lighten(colour, 0.25)), (0.6, darken(low, 0.45)), (0.72, darken(low, 0.1)),
                (0.88, lighten(low, 0.3)), (1.0, lighten(low, 0.7))]
    if material in ("brass", "copper", "gold"):
        return [(0.0, lighten(colour, 0.5)), (0.16, lighten(colour, 0.18)), (0.5, colour),
                (0.82, darken(low, 0.38)), (1.0, darken(low, 0.12))]
    if material == "wood":
        return [(0.0, lighten(colour, 0.1)), (1.0, darken(low, 0.32))]
    if material == "porcelain":
        return [(0.0, lighten(colour, 0.6)), (0.55, colour), (1.0, darken(low, 0.16))]
    return [(0.0, lighten(colour, 0.04)), (1.0, darken(low, 0.14))]  # matte: barely any


def _spot(cv: Canvas, part: Image.Image, box: Box, colour: RGB, alpha: float, blur: float,
          rounded: float = 0.0) -> None:
    """A highlight shape inside ``part``: an ellipse, or a rounded bar when ``rounded``."""
    mask, d = cv.mask()
    if rounded:
        d.rounded_rectangle(cv.box(box), radius=cv.px(rounded), fill=255)
    else:
        d.ellipse(cv.box(box), fill=255)
    cv.fill(cv.clip(cv.soften(mask, blur) if blur else mask, part), colour, alpha)


def _glint(cv: Canvas, x: float, y: float, size: float) -> None:
    """A four-point star of light, the sparkle on polished gold."""
    pts = []
    for i in range(8):
        r = size if i % 2 == 0 else size * 0.2
        a = math.radians(i * 45)
        pts.append((cv.px(x + r * math.cos(a)), cv.px(y + r * math.sin(a))))
    cv.draw.polygon(pts, fill=WHITE)


def _chrome(cv: Canvas, part: Image.Image, box: Box, colour: RGB) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    _spot(cv, part, (x0 + w * 0.04, y0 + h * 0.14, x0 + w * 0.1, y0 + h * 0.84), WHITE, 0.75, 2,
          rounded=w * 0.03)  # the long streak down the left flank
    _spot(cv, part, (x0 + w * 0.14, y0 + h * 0.035, x0 + w * 0.42, y0 + h * 0.085), WHITE, 0.9,
          1.5, rounded=h * 0.025)
    _spot(cv, part, (x0 + w * 0.45, y0 + h * 0.035, x0 + w * 0.52, y0 + h * 0.085), WHITE, 0.9,
          1.5, rounded=h * 0.025)
    _spot(cv, part, (x1 - w * 0.09, y0 + h * 0.2, x1 - w * 0.05, y0 + h * 0.6), WHITE, 0.45, 2,
          rounded=w * 0.02)


def _yellow_metal(cv: Canvas, part: Image.Image, box: Box, colour: RGB, material: str) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if material == "brass":  # brushed: fine horizontal lines across the shell
        lines, d = cv.mask()
        for k in range(int(h / 9)):
            y = y0 + 4 + k * 9
            d.line(cv.box((x0, y, x1, y)), fill=255, width=cv.px(2))
        cv.fill(cv.clip(lines, part), lighten(colour, 0.5), 0.16)
    _spot(cv, part, (x0 + w * 0.08, y0 + h * 0.03, x0 + w * 0.6, y0 + h * 0.2),
          lighten(colour, 0.7), 0.7, 16)
    _spot(cv, part, (x0 + w * 0.16, y0 + h * 0.06, x0 + w * 0.36, y0 + h * 0.12), WHITE, 0.6, 4)
    if material == "gold":
        _glint(cv, x1 - w * 0.14, y0 + h * 0.1, 30)
        _glint(cv, x0 + w * 0.07, y1 - h * 0.1, 18)


def _wood(cv: Canvas, part: Image.Image, box: Box, colour: RGB) -> None:
    """Wavy grain lines with a knot on the forehead, and a faint satin sheen."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    knot_x, knot_y = x0 + w * 0.74, y0 + h * 0.1
    grain, d = cv.mask()
    for k in range(int(h / 17) + 1):
        y = y0 + 6 + k * 17
        pts = []
        for i in range(41):
            x = x0 + w * i / 40
            near = math.exp(-(((x - knot_x) / 60) ** 2 + ((y - knot_y) / 40) ** 2))
            bulge = 30 * near * (1 if y > knot_y else -1)
            pts.append((x, y + 5 * math.sin(x / w * 6.3 + k * 1.7) + bulge))
        cv.stroke(d, pts, 2.5 if k % 3 else 5)
    for r in (10, 20, 30):
        d.ellipse(cv.box((knot_x - r * 1.6, knot_y - r, knot_x + r * 1.6, knot_y + r)),
                  outline=255, width=cv.px(3))
    cv.fill(cv.clip(grain, part), darken(colour, 0.45), 0.5)
    _spot(cv, part, (x0 + w * 0.1, y0 + h * 0.04, x0 + w * 0.55, y0 + h * 0.25), WHITE, 0.14, 20)


def _porcelain(cv: Canvas, part: Image.Image, box: Box, colour: RGB) -> None:
    """A broad wet glaze on the crown and a crisp reflected window; light pooling at the chin."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    _spot(cv, part, (x0 + w * 0.06, y0 + h * 0.015, x1 - w * 0.2, y0 + h * 0.26), WHITE, 0.7, 14)
    _spot(cv, part, (x0 + w * 0.12, y0 + h * 0.05, x0 + w * 0.26, y0 + h * 0.13), WHITE, 0.95,
          1.2, rounded=h * 0.03)
    _spot(cv, part, (x0 + w * 0.28, y0 + h * 0.05, x0 + w * 0.34, y0 + h * 0.13), WHITE, 0.95,
          1.2, rounded=h * 0.03)
    _spot(cv, part, (x0 + w * 0.2, y1 - h * 0.09, x1 - w * 0.2, y1 - h * 0.01), WHITE, 0.3, 8)


FINISHES: Mapping[str, Callable[[Canvas, Image.Image, Box, RGB], None]] = MappingProxyType({
    "chrome": _chrome,
    "brass": lambda cv, part, box, colour: _yellow_metal(cv, part, box, colour, "brass"),
    "copper": lambda cv, part, box, colour: _yellow_metal(cv, part, box, colour, "copper"),
    "gold": lambda cv, part, box, colour: _yellow_metal(cv, part, box, colour, "gold"),
    "wood": _wood,
    "porcelain": _porcelain,
    "matte": lambda cv, part, box, colour: None,  # matte means no highlight at all
})


def finish(cv: Canvas, material: str, part: Image.Image, box: Box, colour: RGB) -> None:
    """Paint ``material``'s highlights or texture over ``part`` (a mask) filling ``box``."""
    FINISHES[material](cv, part, box, colour)
