"""Everything below and behind the head that never tilts: backdrop, shoulders, chest, neck.

The renderer draws this first and keeps a copy, so that an expression which turns the head can
rotate only what the head stage painted on top.
"""

from __future__ import annotations

import functools

from PIL import Image, ImageOps

from .canvas import HEAD_Y, NECK, SHOULDERS, STROKE, Canvas, darken, disc, lighten
from .design import Robot
from .materials import finish, sheen
from .neckwear import draw_bow_tie, draw_collar, draw_scarf, draw_shield, draw_tie

__all__ = ["INDIGO", "SLATE_BOTTOM", "SLATE_TOP", "backdrop", "draw_body"]

SLATE_TOP, SLATE_BOTTOM = (30, 36, 51), (15, 23, 42)
INDIGO = (79, 70, 229)


@functools.lru_cache(maxsize=2)
def backdrop(scale: int) -> Image.Image:
    """Slate gradient with an indigo glow behind the head; drawn small (it is all soft) once."""
    size = 256
    ramp = Image.linear_gradient("L").resize((size, size))
    image = ImageOps.colorize(ramp, SLATE_TOP, SLATE_BOTTOM)
    radial = Image.radial_gradient("L").point(
        lambda v: round(200 * max(0.0, 1 - v * 181 / 255 / 128) ** 1.8))
    glow_size = round(size * 980 / 1024)
    glow = Image.new("L", (size, size))
    cy = round(size * (HEAD_Y + 20) / 1024)
    glow.paste(radial.resize((glow_size, glow_size), Image.Resampling.BICUBIC),
               (size // 2 - glow_size // 2, cy - glow_size // 2))
    image.paste(INDIGO, mask=glow)
    return image.resize((1024 * scale, 1024 * scale), Image.Resampling.BICUBIC)


def _draw_chest(cv: Canvas, robot: Robot, outline: tuple[int, int, int]) -> None:
    """The seed's chest detail: a glowing core, a button panel or a badge."""
    pal = robot.palette
    if robot.chest == "core":
        disc(cv, 512, 910, 44, pal.trim)
        disc(cv, 512, 910, 26, pal.glow, halo=2.2)
    elif robot.chest == "panel":
        cv.part("rounded", (424, 874, 600, 942), 22, pal.screen, pal.screen, outline, STROKE * 0.8)
        for i, c in enumerate((pal.glow, lighten(pal.body, 0.3), (251, 191, 36))):
            disc(cv, 466 + i * 46, 908, 12, c)
    elif robot.chest == "badge":
        cv.part("rounded", (600, 858, 676, 934), 18, lighten(pal.body, 0.1), pal.body, outline,
                STROKE * 0.8)
        disc(cv, 638, 896, 16, pal.glow, halo=2.0)


def _draw_stripes(cv: Canvas, robot: Robot, torso: Image.Image) -> None:
    """Two body-coloured braces over the shoulders, clipped to the torso."""
    stripes, d = cv.mask()
    for side in (-1, 1):
        d.rounded_rectangle(cv.box((512 + side * 215 - 20, 820, 512 + side * 215 + 20, 1100)),
                            radius=cv.px(20), fill=255)
    cv.fill(cv.clip(stripes, torso), robot.palette.body, 0.9)


def _draw_neck(cv: Canvas, robot: Robot) -> None:
    trim = robot.palette.trim
    cv.part("rounded", NECK, 24, lighten(trim, 0.1), darken(trim, 0.45), darken(trim, 0.8),
            STROKE)
    for y in (712, 748):
        cv.draw.rounded_rectangle(cv.box((NECK[0] + 14, y, NECK[2] - 14, y + 9)), radius=cv.px(4),
                                  fill=darken(trim, 0.55))


def draw_body(cv: Canvas, robot: Robot) -> None:
    """Background, glow, shoulders, chest detail, neck and neckwear: all that never tilts."""
    pal = robot.palette
    cv.image.paste(backdrop(cv.scale))
    outline = darken(pal.secondary, 0.8)
    stops = None
    if robot.material:  # the shoulders share the head's material, in the secondary colour
        stops = sheen(robot.material, lighten(pal.secondary, 0.08), darken(pal.secondary, 0.3))
    torso = cv.part("rounded", SHOULDERS, 210, lighten(pal.secondary, 0.14),
                    darken(pal.secondary, 0.45), outline, STROKE, stops)
    if robot.material == "wood":
        finish(cv, "wood", torso, SHOULDERS, pal.secondary)
    if robot.wears("tie"):
        draw_tie(cv, robot)
    elif robot.wears("bow_tie"):
        draw_collar(cv)
    if robot.wears("shield"):
        draw_shield(cv, robot)
    elif not (robot.wears("tie") or robot.wears("bow_tie")):  # the collar covers the chest
        _draw_chest(cv, robot, outline)
    if robot.chest == "stripes" or robot.wears("tie"):
        _draw_stripes(cv, robot, torso)
    _draw_neck(cv, robot)
    if robot.wears("scarf"):
        draw_scarf(cv, robot)
    if robot.wears("bow_tie"):
        draw_bow_tie(cv, robot)
