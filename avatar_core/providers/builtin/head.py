"""The head, in the order it is painted: ears, antenna, skull, surface pattern, trim, screen.

Each part is its own function over the same ``HeadFrame`` (the head's box), so that a prompt
word can swap one part (a hat instead of an antenna, a material's finish on the skull) without
touching the others. The face on the screen lives in ``face``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from .canvas import HEAD_Y, STROKE, WHITE, Box, Canvas, darken, disc, lighten, mirror, mix, rod
from .design import Robot
from .materials import finish, sheen

__all__ = ["HeadFrame", "draw_antenna", "draw_ears", "draw_pattern", "draw_screen", "draw_skull",
           "draw_trim", "head_frame"]


@dataclass(frozen=True)
class HeadFrame:
    """Where the head and its screen sit, in 1024-units."""

    head: Box
    screen: Box

    @property
    def width(self) -> float:
        return self.head[2] - self.head[0]

    @property
    def height(self) -> float:
        return self.head[3] - self.head[1]


def head_frame(robot: Robot) -> HeadFrame:
    w, h = robot.width, robot.height
    head = (512 - w / 2, HEAD_Y - h / 2, 512 + w / 2, HEAD_Y + h / 2)
    inset, top, bottom = {"ellipse": (0.15, 0.25, 0.8), "dome": (0.1, 0.31, 0.88),
                          "capsule": (0.13, 0.2, 0.82)}.get(robot.head, (0.1, 0.21, 0.85))
    x0, y0, x1, _ = head
    screen = (x0 + w * inset, y0 + h * top, x1 - w * inset, y0 + h * bottom)
    return HeadFrame(head, screen)


def _draw_ear(cv: Canvas, robot: Robot, frame: HeadFrame, side: int) -> None:
    """One ear; ``side`` -1 is the viewer's left, +1 the mirrored right."""
    pal = robot.palette
    x0 = frame.head[0]
    dark = darken(pal.trim, 0.8)

    def place(box: Box) -> Box:
        return mirror(box) if side > 0 else box

    ex = 512 + side * (frame.width / 2)
    if robot.ears == "disc":
        disc(cv, ex + side * 6, HEAD_Y, 60, pal.trim)
        disc(cv, ex + side * 14, HEAD_Y, 22, pal.glow, halo=1.8)
    elif robot.ears in ("box", "cup"):
        box = (x0 - 46, HEAD_Y - 74, x0 + 20, HEAD_Y + 74) if robot.ears == "box" else (
            x0 - 44, HEAD_Y - 92, x0 + 20, HEAD_Y + 92)
        colour = pal.secondary if robot.ears == "box" else pal.trim
        cv.part("rounded", place(box), 20 if robot.ears == "box" else 32,
                lighten(colour, 0.12), darken(colour, 0.4), darken(colour, 0.8), STROKE)
        slot = pal.glow if robot.ears == "cup" else darken(colour, 0.6)
        for dy in (-26, 0, 26) if robot.ears == "box" else (-40, 40):
            cv.draw.rounded_rectangle(
                cv.box(place((x0 - 32, HEAD_Y + dy - 5, x0 - 8, HEAD_Y + dy + 5))),
                radius=cv.px(5), fill=slot)
    elif robot.ears == "bolt":
        cv.part("rounded", place((x0 - 34, HEAD_Y - 40, x0 + 20, HEAD_Y + 40)), 12,
                lighten(pal.trim, 0.1), darken(pal.trim, 0.45), dark, STROKE)
        disc(cv, ex + side * 40, HEAD_Y, 26, pal.secondary)
    else:  # spike: little side antennas
        tip = (ex + side * 48, HEAD_Y - 118)
        rod(cv, (ex - side * 10, HEAD_Y - 10), tip, 14, pal.trim, dark)
        disc(cv, ex + side * 48, HEAD_Y - 118, 19, pal.glow, halo=2.0)


def draw_ears(cv: Canvas, robot: Robot, frame: HeadFrame) -> None:
    for side in (-1, 1):
        _draw_ear(cv, robot, frame, side)


def draw_antenna(cv: Canvas, robot: Robot, frame: HeadFrame) -> None:
    """The name's antenna style on the crown, leaning by the seed's ``lean``."""
    pal = robot.palette
    top, lean = frame.head[1], robot.lean
    dark = darken(pal.trim, 0.8)
    if robot.antenna == "single":
        rod(cv, (512, top + 20), (512 + lean, top - 74), 16, pal.trim, dark)
        disc(cv, 512 + lean, top - 74, 27, pal.glow, halo=2.2)
    elif robot.antenna == "double":
        for side in (-1, 1):
            bx = 512 + side * 70
            rod(cv, (bx, top + 24), (bx + side * 40 + lean * 0.4, top - 60), 14, pal.trim, dark)
            disc(cv, bx + side * 40 + lean * 0.4, top - 60, 20, pal.glow, halo=2.0)
    elif robot.antenna == "bulb":
        mask, d = cv.mask()
        d.ellipse(cv.box((512 - 70, top - 120, 512 + 70, top + 10)), fill=255)
        cv.fill(cv.soften(mask, 30), pal.glow, 0.5)
        cv.part("dome", (466, top - 96, 558, top), 10, lighten(pal.glow, 0.55), pal.glow,
                darken(pal.glow, 0.75), STROKE * 0.8)
        cv.part("rounded", (446, top - 26, 578, top + 20), 14, lighten(pal.trim, 0.1),
                darken(pal.trim, 0.4), dark, STROKE)
    elif robot.antenna == "fin":
        cv.part("rounded", (490 + lean * 0.3, top - 88, 534 + lean * 0.3, top + 30), 22,
                lighten(pal.secondary, 0.15), darken(pal.secondary, 0.3),
                darken(pal.secondary, 0.8), STROKE)
    else:  # bar: a light bar on the crown
        cv.part("rounded", (420, top - 38, 604, top + 24), 22, lighten(pal.trim, 0.1),
                darken(pal.trim, 0.4), dark, STROKE)
        for i in range(3):
            disc(cv, 466 + i * 46, top - 8, 13, pal.glow if i != 1 else lighten(pal.glow, 0.4))


def draw_skull(cv: Canvas, robot: Robot, frame: HeadFrame) -> Image.Image:
    """The head shell with its soft top-left shine, or its material's finish; returns its mask
    for clipping."""
    pal = robot.palette
    x0, y0, _, _ = frame.head
    w, h = frame.width, robot.height
    kind = {"soft": "rounded", "capsule": "rounded"}.get(robot.head, robot.head)
    radius = {"rounded": 84.0, "soft": 150.0, "octagon": 96.0, "dome": 70.0}.get(robot.head, h / 2)
    stops = sheen(robot.material, pal.body, pal.body_low) if robot.material else None
    skull = cv.part(kind, frame.head, radius, lighten(pal.body, 0.16),
                    darken(pal.body_low, 0.28), pal.outline, STROKE, stops)
    if robot.material:
        finish(cv, robot.material, skull, frame.head, pal.body)
        return skull
    shine, d = cv.mask()
    d.ellipse(cv.box((x0 + w * 0.1, y0 + h * 0.04, x0 + w * 0.55, y0 + h * 0.3)), fill=255)
    cv.fill(cv.clip(cv.soften(shine, 22), skull), WHITE, 0.4)
    return skull


def draw_pattern(cv: Canvas, robot: Robot, frame: HeadFrame, skull: Image.Image) -> None:
    """Engraved grid lines, or glowing circuit traces running out from the screen."""
    pal = robot.palette
    x0, y0, x1, y1 = frame.head
    sx0, sy0, sx1, sy1 = frame.screen
    lines, d = cv.mask()
    if robot.pattern == "grid":
        for i in range(-12, 13):
            d.line(cv.box((512 + i * 44, y0, 512 + i * 44, y1)), fill=255, width=cv.px(3))
            d.line(cv.box((x0, HEAD_Y + i * 44, x1, HEAD_Y + i * 44)), fill=255, width=cv.px(3))
        cv.fill(cv.clip(lines, skull), darken(pal.body, 0.3), 0.8)
    elif robot.pattern == "circuit":
        for side in (-1, 1):
            edge = sx0 if side < 0 else sx1
            for k, frac in enumerate((0.25, 0.55, 0.8)):
                y = sy0 + (sy1 - sy0) * frac
                pts = [(edge, y), (edge + side * 14, y), (edge + side * 30, y - 16 - 8 * k),
                       (edge + side * 90, y - 16 - 8 * k)]
                cv.stroke(d, pts, 5)
                ex, ey = pts[-1]
                d.ellipse(cv.box((ex - 8, ey - 8, ex + 8, ey + 8)), fill=255)
        for dx in (-60, 60):
            cv.stroke(d, [(512 + dx, sy0), (512 + dx, sy0 - 26), (512 + dx * 1.6, sy0 - 50)], 5)
        cv.fill(cv.soften(cv.clip(lines, skull), 6), pal.glow, 0.5)
        cv.fill(cv.clip(lines, skull), lighten(pal.glow, 0.3))


def draw_trim(cv: Canvas, robot: Robot, frame: HeadFrame, skull: Image.Image) -> None:
    """The seed's head trim: rivets, a forehead light, a seam, or cheek vents."""
    pal = robot.palette
    x0, y0, x1, y1 = frame.head
    sx0, sy0, sx1, sy1 = frame.screen
    w, h = frame.width, robot.height
    trims, d = cv.mask()
    if robot.trim == "rivets":
        ix, iy = (0.2, 0.2) if robot.head in ("ellipse", "dome", "capsule") else (0.06, 0.08)
        for px in (x0 + w * ix, x1 - w * ix):
            py = y0 + h * iy if robot.head != "dome" else y1 - h * 0.06
            disc(cv, px, py, 10, lighten(pal.body, 0.35))
    elif robot.trim == "light":
        ly = (y0 + sy0) / 2 + 4
        cv.part("rounded", (476, ly - 10, 548, ly + 10), 10, lighten(pal.glow, 0.5), pal.glow,
                darken(pal.glow, 0.7), STROKE * 0.6)
    elif robot.trim == "seam":
        sy = (y0 + sy0) / 2 + 6
        d.line(cv.box((x0, sy, x1, sy)), fill=255, width=cv.px(6))
        cv.fill(cv.clip(trims, skull), darken(pal.body, 0.35))
    else:  # vents on the cheeks
        for side in (-1, 1):
            vx = (x0 + sx0) / 2 if side < 0 else (x1 + sx1) / 2
            for dy in (-22, 0, 22):
                vy = sy1 - 40 + dy
                d.rounded_rectangle(cv.box((vx - 12, vy - 5, vx + 12, vy + 5)), radius=cv.px(5),
                                    fill=255)
        cv.fill(cv.clip(trims, skull), darken(pal.body, 0.45))


def draw_screen(cv: Canvas, robot: Robot, frame: HeadFrame) -> Image.Image:
    """The dark face screen in its bezel, with a faint glare; returns its mask."""
    pal = robot.palette
    sx0, sy0, sx1, sy1 = frame.screen
    sr = {"pill": (sy1 - sy0) * 0.46, "tv": 26.0}.get(robot.screen, (sy1 - sy0) * 0.22)
    if robot.head in ("ellipse", "capsule"):
        sr = (sy1 - sy0) * 0.46
    bezel = mix(pal.body, (5, 8, 18), 0.55)
    glass = cv.part("rounded", frame.screen, sr, mix(pal.screen, pal.glow, 0.1), pal.screen,
                    bezel, 11)
    glare, d = cv.mask()
    d.polygon([(cv.px(sx0), cv.px(sy0)), (cv.px(sx0 + (sx1 - sx0) * 0.45), cv.px(sy0)),
               (cv.px(sx0 + (sx1 - sx0) * 0.2), cv.px(sy1)), (cv.px(sx0), cv.px(sy1))], fill=255)
    cv.fill(cv.clip(glare, glass), WHITE, 0.05)
    return glass
