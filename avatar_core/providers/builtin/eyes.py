"""Eyes and brows, drawn white-on-black into the face mask.

An eye is the name's *style* (round, pill, square, ring, wide) in an emotion's *state* (open,
happy arc, closed, wide, lidded, fierce …). Lids are carved out of the mask with black, which
is why the face is drawn as a mask first and lit afterwards.
"""

from __future__ import annotations

from PIL import ImageDraw

from .canvas import Canvas, arc_points

__all__ = ["draw_brow", "draw_eye"]


def _draw_open_eye(cv: Canvas, d: ImageDraw.ImageDraw, cx: float, cy: float, r: float,
                   style: str, state: str) -> None:
    """The eye's own shape, scaled for small/big/up states."""
    s = {"small": 0.72, "big": 1.3, "up": 0.9}.get(state, 1.0)
    if state == "up":
        cx, cy = cx + r * 0.35, cy - r * 0.5
    if style == "ring":
        rr = r * 1.1 * s
        d.ellipse(cv.box((cx - rr, cy - rr, cx + rr, cy + rr)), outline=255, width=cv.px(r * 0.28))
        px, py = (cx + r * 0.25, cy - r * 0.3) if state == "up" else (cx, cy)
        p = r * 0.45 * s
        d.ellipse(cv.box((px - p, py - p, px + p, py + p)), fill=255)
        return
    w, h, rad = {"pill": (0.62, 1.2, 0.62), "square": (0.95, 0.95, 0.32),
                 "wide": (1.3, 0.62, 0.62)}.get(style, (1.0, 1.0, 1.0))
    box = cv.box((cx - r * w * s, cy - r * h * s, cx + r * w * s, cy + r * h * s))
    if style == "round":
        d.ellipse(box, fill=255)
    else:
        d.rounded_rectangle(box, radius=cv.px(r * rad * s), fill=255)


def _carve_lid(cv: Canvas, d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, state: str,
               side: int) -> None:
    """A heavy flat lid (lidded) or a slanted angry one (fierce), cut out of the eye."""
    inner, outer = (cy - r * 0.08, cy - r * 0.3) if state == "lidded" else (cy, cy - r * 1.0)
    span = r * 1.8
    xo, xi = cx + side * span, cx - side * span
    lid = [(xo, cy - r * 3), (xi, cy - r * 3), (xi, inner - (outer - inner)), (xo, outer)]
    if state == "lidded":  # a flat heavy lid, slightly lower on the inside
        lid = [(xo, cy - r * 3), (xi, cy - r * 3), (xi, inner), (xo, outer)]
    d.polygon([(cv.px(x), cv.px(y)) for x, y in lid], fill=0)
    if state == "lidded":
        cv.stroke(d, [(cx + side * r * 1.25, outer - r * 0.12),
                      (cx - side * r * 1.25, inner - r * 0.08)], r * 0.26)


def draw_eye(cv: Canvas, d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, style: str,
             state: str, side: int) -> None:
    """One eye centred on (cx, cy) with radius ``r``; ``side`` -1 viewer's left, +1 right."""
    if state in ("happy", "wink"):
        cv.stroke(d, arc_points(cx, cy + r * 0.45, r * 1.05, r * 1.0, 195, 345), r * 0.5)
        return
    if state == "closed":
        cv.stroke(d, arc_points(cx, cy - r * 0.35, r * 1.0, r * 0.65, 20, 160), r * 0.4)
        return
    if state == "wide":
        rr = r * 1.4
        d.ellipse(cv.box((cx - rr, cy - rr, cx + rr, cy + rr)), outline=255, width=cv.px(r * 0.3))
        d.ellipse(cv.box((cx - r * 0.45, cy - r * 0.45, cx + r * 0.45, cy + r * 0.45)), fill=255)
        return
    _draw_open_eye(cv, d, cx, cy, r, style, state)
    if state in ("lidded", "fierce"):
        _carve_lid(cv, d, cx, cy, r, state, side)


def draw_brow(cv: Canvas, d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, kind: str,
              side: int) -> None:
    """A brow above the eye at (cx, cy): arc, high, v (concentration), soft or flat."""
    by, half, width = cy - r * 1.85, r * 0.8, r * 0.3
    if kind == "arc":
        cv.stroke(d, arc_points(cx, by + r * 0.15, half, r * 0.35, 205, 335, 16), width)
    elif kind == "high":
        cv.stroke(d, arc_points(cx, by - r * 0.2, half, r * 0.45, 205, 335, 16), width)
    elif kind == "v":  # outer end high, inner end low: a frown of concentration
        cv.stroke(d, [(cx + side * half * 1.1, by - r * 0.45), (cx - side * half, by + r * 0.4)],
                  width * 1.25)
    elif kind == "soft":
        cv.stroke(d, arc_points(cx, by + r * 0.05, half * 0.9, r * 0.18, 210, 330, 12), width * 0.8)
    else:  # flat
        cv.stroke(d, [(cx - half, by + r * 0.3), (cx + half, by + r * 0.3)], width)
