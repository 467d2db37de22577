"""Drawing kit for the built-in robot portraits: colours, a supersampled canvas, and the parts.

Everything is placed in a fixed 1024-unit layout (head centred, face inside the central 80 %
circle) and drawn on a canvas ``scale`` times larger; the provider downsamples once with
LANCZOS, which is what turns Pillow's aliased primitives into clean vector-like art. Faces are
drawn as a white-on-black mask so an expression can carve lids out of an eye, then lit twice
(blurred halo, crisp core) like an LED screen.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

__all__ = [
    "EXPRESSIONS",
    "RGB",
    "WHITE",
    "Canvas",
    "Expression",
    "Palette",
    "arc_points",
    "darken",
    "draw_face",
    "lighten",
    "mix",
    "tune",
]

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]
Point = tuple[float, float]

SIZE = 1024
INK: RGB = (10, 14, 28)
WHITE: RGB = (255, 255, 255)
RIM: RGB = (165, 180, 252)  # indigo-300, the same light as the background glow
BLUSH: RGB = (251, 113, 133)
TEAR: RGB = (147, 197, 253)
MARK: RGB = (226, 232, 240)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))


def lighten(colour: RGB, t: float) -> RGB:
    return mix(colour, WHITE, t)


def darken(colour: RGB, t: float) -> RGB:
    return mix(colour, INK, t)


def tune(colour: RGB, *, lo: float, hi: float, min_sat: float = 0.0) -> RGB:
    """Clamp lightness into [lo, hi]; lift saturation of colours that have a hue at all."""
    h, light, s = colorsys.rgb_to_hls(*(v / 255 for v in colour))
    light = min(max(light, lo), hi)
    if s > 0.12:
        s = max(s, min_sat)
    r, g, b = colorsys.hls_to_rgb(h, light, s)
    return (round(r * 255), round(g * 255), round(b * 255))


def arc_points(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float,
               n: int = 28) -> list[Point]:
    """Points along an ellipse arc, angles in degrees with y pointing down (180→360 is ∩)."""
    step = (a1 - a0) / (n - 1)
    return [(cx + rx * math.cos(math.radians(a0 + i * step)),
             cy + ry * math.sin(math.radians(a0 + i * step))) for i in range(n)]


@dataclass(frozen=True)
class Palette:
    """The five colours of one robot; ``body_low`` differs from ``body`` for two-tone heads."""

    body: RGB
    body_low: RGB
    secondary: RGB
    trim: RGB
    glow: RGB

    @property
    def outline(self) -> RGB:
        return mix(self.body, INK, 0.82)

    @property
    def screen(self) -> RGB:
        return mix(self.body, (5, 8, 18), 0.9)


_RAMP = Image.linear_gradient("L").resize((1, 256))


class Canvas:
    """An RGB image ``scale`` times the logical 1024 units, with mask-based painting."""

    def __init__(self, scale: int) -> None:
        self.scale = scale
        self.image = Image.new("RGB", (SIZE * scale, SIZE * scale))
        self.draw = ImageDraw.Draw(self.image)  # opaque flat fills need no mask

    def use(self, image: Image.Image) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)

    def px(self, value: float) -> int:
        return round(value * self.scale)

    def box(self, box: Box) -> tuple[int, int, int, int]:
        return (self.px(box[0]), self.px(box[1]), self.px(box[2]), self.px(box[3]))

    def mask(self) -> tuple[Image.Image, ImageDraw.ImageDraw]:
        mask = Image.new("L", self.image.size)
        return mask, ImageDraw.Draw(mask)

    def fill(self, mask: Image.Image, colour: RGB, alpha: float = 1.0) -> None:
        """Paint ``colour`` through ``mask``, touching only the mask's bounding box."""
        bbox = mask.getbbox()
        if bbox is None:
            return
        crop = mask.crop(bbox)
        if alpha < 1.0:
            crop = crop.point(lambda v: round(v * alpha))
        self.image.paste(colour, bbox, crop)

    def gradient(self, mask: Image.Image, top: RGB, bottom: RGB, box: Box) -> None:
        """A vertical ``top``→``bottom`` gradient over ``box``, painted through ``mask``."""
        x0, y0, x1, y1 = self.box(box)
        strip = ImageOps.colorize(_RAMP, top, bottom)  # 1x256: colour it small, stretch once
        tile = strip.resize((max(x1 - x0, 1), max(y1 - y0, 1)), Image.Resampling.NEAREST)
        cx1, cy1 = min(x1, self.image.width), min(y1, self.image.height)
        cx0, cy0 = max(x0, 0), max(y0, 0)
        tile = tile.crop((cx0 - x0, cy0 - y0, cx1 - x0, cy1 - y0))
        self.image.paste(tile, (cx0, cy0), mask.crop((cx0, cy0, cx1, cy1)))

    def soften(self, mask: Image.Image, radius: float) -> Image.Image:
        """A cheap Gaussian blur: blur the mask's neighbourhood at quarter size, scale back up."""
        bbox = mask.getbbox()
        out = Image.new("L", mask.size)
        if bbox is None:
            return out
        margin = (self.px(radius * 3) // 4 + 1) * 4
        x0, y0 = (bbox[0] - margin) // 4 * 4, (bbox[1] - margin) // 4 * 4
        x1 = x0 + ((bbox[2] + margin - x0) // 4 + 1) * 4
        y1 = y0 + ((bbox[3] + margin - y0) // 4 + 1) * 4
        small = mask.crop((x0, y0, x1, y1)).reduce(4)
        small = small.filter(ImageFilter.GaussianBlur(radius * self.scale / 4))
        out.paste(small.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR), (x0, y0))
        return out

    def clip(self, mask: Image.Image, clip: Image.Image) -> Image.Image:
        """``mask`` limited to ``clip`` (both full-size), computed inside mask's bounding box."""
        bbox = mask.getbbox()
        out = Image.new("L", mask.size)
        if bbox is not None:
            out.paste(ImageChops.multiply(mask.crop(bbox), clip.crop(bbox)), bbox)
        return out

    def shape(self, draw: ImageDraw.ImageDraw, kind: str, box: Box, radius: float,
              grow: float = 0.0, fill: int | RGB = 255) -> None:
        """Draw a head/part outline kind ('rounded', 'ellipse', 'octagon', 'dome') into a mask."""
        x0, y0, x1, y1 = box[0] - grow, box[1] - grow, box[2] + grow, box[3] + grow
        if kind == "ellipse":
            draw.ellipse(self.box((x0, y0, x1, y1)), fill=fill)
        elif kind == "octagon":
            c = radius + grow * 0.41
            pts = [(x0 + c, y0), (x1 - c, y0), (x1, y0 + c), (x1, y1 - c), (x1 - c, y1),
                   (x0 + c, y1), (x0, y1 - c), (x0, y0 + c)]
            draw.polygon([(self.px(x), self.px(y)) for x, y in pts], fill=fill)
        elif kind == "dome":
            half = (y1 - y0) * 0.5
            draw.ellipse(self.box((x0, y0, x1, y0 + 2 * half)), fill=fill)
            draw.rounded_rectangle(self.box((x0, y0 + half, x1, y1)),
                                   radius=self.px(radius + grow), fill=fill)
        else:
            r = min(radius + grow, (x1 - x0) / 2, (y1 - y0) / 2)
            draw.rounded_rectangle(self.box((x0, y0, x1, y1)), radius=self.px(r), fill=fill)

    def stroke(self, draw: ImageDraw.ImageDraw, pts: Sequence[Point], width: float,
               fill: int | RGB = 255) -> None:
        """A polyline with round joins and round caps."""
        p = [(self.px(x), self.px(y)) for x, y in pts]
        w = self.px(width)
        draw.line(p, fill=fill, width=w, joint="curve")
        for x, y in (p[0], p[-1]):
            draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=fill)

    def part(self, kind: str, box: Box, radius: float, top: RGB, bottom: RGB, outline: RGB,
             stroke: float) -> Image.Image:
        """Outline + vertical gradient fill + indigo rim light; returns the part's mask."""
        self.shape(self.draw, kind, box, radius, grow=stroke, fill=outline)
        mask, draw = self.mask()
        self.shape(draw, kind, box, radius)
        self.gradient(mask, top, bottom, box)
        # light catching the upper-right edge, as from the backdrop glow
        bbox = self.box((box[0] - stroke, box[1] - stroke, box[2] + stroke, box[3] + stroke))
        crop = mask.crop(bbox)
        shifted = ImageChops.offset(crop, -self.px(stroke * 1.6), self.px(stroke * 1.2))
        rim = ImageChops.subtract(crop, shifted).point(lambda v: round(v * 0.45))
        self.image.paste(RIM, bbox, rim)
        return mask


# --- faces ------------------------------------------------------------------------------------

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


def _eye(cv: Canvas, d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, style: str,
         state: str, side: int) -> None:
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
    s = {"small": 0.72, "big": 1.3, "up": 0.9}.get(state, 1.0)
    if state == "up":
        cx, cy = cx + r * 0.35, cy - r * 0.5
    if style == "ring":
        rr = r * 1.1 * s
        d.ellipse(cv.box((cx - rr, cy - rr, cx + rr, cy + rr)), outline=255, width=cv.px(r * 0.28))
        px, py = (cx + r * 0.25, cy - r * 0.3) if state == "up" else (cx, cy)
        p = r * 0.45 * s
        d.ellipse(cv.box((px - p, py - p, px + p, py + p)), fill=255)
    else:
        w, h, rad = {"pill": (0.62, 1.2, 0.62), "square": (0.95, 0.95, 0.32),
                     "wide": (1.3, 0.62, 0.62)}.get(style, (1.0, 1.0, 1.0))
        box = cv.box((cx - r * w * s, cy - r * h * s, cx + r * w * s, cy + r * h * s))
        if style == "round":
            d.ellipse(box, fill=255)
        else:
            d.rounded_rectangle(box, radius=cv.px(r * rad * s), fill=255)
    if state in ("lidded", "fierce"):
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


def _brow(cv: Canvas, d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, kind: str,
          side: int) -> None:
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


def _mouth(cv: Canvas, d: ImageDraw.ImageDraw, mx: float, my: float, mw: float, t: float,
           kind: str, base: str) -> None:
    if kind == "base":
        kind = base
    if kind == "smile":
        cv.stroke(d, arc_points(mx, my - mw * 0.3, mw * 0.42, mw * 0.3, 25, 155), t)
    elif kind == "line":
        cv.stroke(d, [(mx - mw * 0.36, my), (mx + mw * 0.36, my)], t)
    elif kind == "grille":
        for i in range(4):
            x = mx + (i - 1.5) * mw * 0.2
            bar = (x - t * 0.45, my - mw * 0.12, x + t * 0.45, my + mw * 0.12)
            d.rounded_rectangle(cv.box(bar), radius=cv.px(t * 0.45), fill=255)
    elif kind in ("wave", "squiggle"):
        wave = kind == "wave"
        width, amp, turns = (mw * 0.8, mw * 0.06, 1.5) if wave else (mw * 0.55, mw * 0.09, 2.0)
        x0 = mx - width / 2 + (mw * 0.12 if kind == "squiggle" else 0)
        pts = [(x0 + width * i / 30, my + amp * math.sin(i / 30 * turns * 2 * math.pi))
               for i in range(31)]
        cv.stroke(d, pts, t * (0.85 if kind == "squiggle" else 1.0))
    elif kind in ("grin", "lopsided"):
        w = mw * (0.58 if kind == "grin" else 0.42)
        top = my - mw * 0.22
        pts = arc_points(0, 0, w, mw * (0.5 if kind == "grin" else 0.36), 0, 180, 32)
        angle = 0.0 if kind == "grin" else math.radians(-13)
        ox = mx + (0 if kind == "grin" else mw * 0.14)
        rot = [(ox + x * math.cos(angle) - y * math.sin(angle),
                top + x * math.sin(angle) + y * math.cos(angle)) for x, y in pts]
        d.polygon([(cv.px(x), cv.px(y)) for x, y in rot], fill=255)
        cv.stroke(d, [*rot, rot[0]], t * 0.6)
    elif kind == "o":
        d.ellipse(cv.box((mx - mw * 0.17, my - mw * 0.26, mx + mw * 0.17, my + mw * 0.18)),
                  outline=255, width=cv.px(t))
    elif kind == "teeth":
        box = (mx - mw * 0.42, my - mw * 0.15, mx + mw * 0.42, my + mw * 0.15)
        d.rounded_rectangle(cv.box(box), radius=cv.px(mw * 0.09), fill=255)
        gap = t * 0.32
        d.rectangle(cv.box((box[0], my - gap / 2, box[2], my + gap / 2)), fill=0)
        for i in (-1, 0, 1):
            x = mx + i * mw * 0.21
            d.rectangle(cv.box((x - gap / 2, box[1], x + gap / 2, box[3])), fill=0)
    elif kind == "soft":
        cv.stroke(d, arc_points(mx, my - mw * 0.22, mw * 0.3, mw * 0.2, 30, 150), t * 0.9)
    elif kind == "side":
        cv.stroke(d, [(mx + mw * 0.02, my + mw * 0.03), (mx + mw * 0.36, my - mw * 0.03)], t)
    elif kind == "smirk":
        pts = [(mx - mw * 0.36 + mw * 0.78 * i / 20, my + mw * 0.04 - mw * 0.26 * (i / 20) ** 2.2)
               for i in range(21)]
        cv.stroke(d, pts, t)


def _sparkle(cv: Canvas, cx: float, cy: float, radius: float, colour: RGB) -> None:
    pts = []
    for i in range(8):
        rr = radius if i % 2 == 0 else radius * 0.26
        a = math.radians(i * 45 - 90)
        pts.append((cv.px(cx + rr * math.cos(a)), cv.px(cy + rr * math.sin(a))))
    cv.draw.polygon(pts, fill=colour)


def draw_face(cv: Canvas, screen: Box, head: Box, eye_style: str, mouth_style: str,
              emotion: str, palette: Palette, clip: Image.Image, spectacles: bool,
              gaze: int = 0) -> None:
    """Light up the face screen for ``emotion`` and add its cues around the head."""
    expr = EXPRESSIONS[emotion]
    sx0, sy0, sx1, sy1 = screen
    sw, sh = sx1 - sx0, sy1 - sy0
    cx, ey = (sx0 + sx1) / 2, sy0 + sh * 0.47
    dx, r = sw * 0.235, min(sw * 0.105, sh * 0.15)
    feat, d = cv.mask()
    for side, state in zip((-1, 1), expr.eyes, strict=True):
        shift = gaze * r * 0.22 if state == "open" else 0.0  # the seed's pose: a sideways glance
        _eye(cv, d, cx + side * dx + shift, ey, r, eye_style, state, side)
    for side, brow in zip((-1, 1), expr.brows, strict=True):
        if brow:
            _brow(cv, d, cx + side * dx, ey, r, brow, side)
    _mouth(cv, d, cx, sy0 + sh * 0.8, sw * 0.36, r * 0.34, expr.mouth, mouth_style)
    feat = cv.clip(feat, clip)
    if "blush" in expr.extras:
        cheeks, cd = cv.mask()
        for side in (-1, 1):
            bx, by = cx + side * dx * 1.4, ey + r * 1.55
            cd.ellipse(cv.box((bx - r * 0.85, by - r * 0.42, bx + r * 0.85, by + r * 0.42)),
                       fill=255)
        cv.fill(cv.soften(cheeks, 4), BLUSH, 0.85)
    cv.fill(cv.soften(feat, 16), palette.glow, 0.9)
    cv.fill(feat, lighten(palette.glow, 0.45))

    if spectacles:
        fd, gold = cv.draw, (222, 184, 96)
        fr = r * 1.5
        for side in (-1, 1):
            ex = cx + side * dx
            fd.ellipse(cv.box((ex - fr, ey - fr, ex + fr, ey + fr)), outline=gold, width=cv.px(10))
            arm = [(ex + side * fr, ey - r * 0.3), (sx0 if side < 0 else sx1, ey - r * 0.6)]
            cv.stroke(fd, arm, 10, gold)
        cv.stroke(fd, arc_points(cx, ey - r * 0.2, dx - fr, r * 0.45, 200, 340, 12), 10, gold)

    hx0, hy0, hx1, _ = head
    marks, md = cv.mask()
    if "dots" in expr.extras:
        for i, rad in enumerate((11, 15, 20)):  # above the head, inside the circular crop
            x, y = 680 + i * 36, hy0 - 26 - i * 36
            md.ellipse(cv.box((x - rad, y - rad, x + rad, y + rad)), fill=255)
    if "shock" in expr.extras:
        for side, x in ((-1, hx0 - 12), (1, hx1 + 12)):
            for a in (-35, 0, 35):
                ang = math.radians(a - 90 + side * 55)
                x0, y0 = x + 30 * math.cos(ang), hy0 + 40 + 30 * math.sin(ang)
                cv.stroke(md, [(x0, y0), (x0 + 42 * math.cos(ang), y0 + 42 * math.sin(ang))], 13)
    if "tear" in expr.extras:
        tx, ty = cx + dx + r * 1.45, ey + r * 0.55
        md.ellipse(cv.box((tx - r * 0.4, ty, tx + r * 0.4, ty + r * 0.8)), fill=255)
        md.polygon([(cv.px(tx - r * 0.38), cv.px(ty + r * 0.3)), (cv.px(tx), cv.px(ty - r * 0.55)),
                    (cv.px(tx + r * 0.38), cv.px(ty + r * 0.3))], fill=255)
        cv.fill(cv.clip(marks, clip), TEAR)
        marks, md = cv.mask()
    cv.fill(marks, MARK)
    if "sparkle" in expr.extras:
        _sparkle(cv, hx1 + 18, hy0 + 8, 46, lighten(palette.glow, 0.6))
        _sparkle(cv, hx1 + 62, hy0 + 72, 22, MARK)
