"""The drawing kit every part shares: colour arithmetic and a supersampled, mask-painting canvas.

Everything is placed in a fixed 1024-unit layout (head centred, face inside the central 80 %
circle) and drawn on a canvas ``scale`` times larger; the renderer resolves it once with an
exact box average, which is what turns Pillow's aliased primitives into clean vector-like art.
Parts are painted through ``L`` masks so that one shape can clip another (a face to its
screen, wood grain to its head) without any per-pixel Python.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

__all__ = [
    "HEAD_Y",
    "INK",
    "NECK",
    "RGB",
    "RIM",
    "SHOULDERS",
    "SIZE",
    "STROKE",
    "WHITE",
    "Box",
    "Canvas",
    "Point",
    "Stops",
    "arc_points",
    "darken",
    "disc",
    "lighten",
    "mirror",
    "mix",
    "ramp",
    "rod",
    "shield_points",
    "tune",
]

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]
Point = tuple[float, float]

SIZE = 1024
INK: RGB = (10, 14, 28)
WHITE: RGB = (255, 255, 255)
RIM: RGB = (165, 180, 252)  # indigo-300, the same light as the background glow
STROKE = 9.0  # outline width in 1024-units, the same for every part
# The fixed layout every part is placed in: the head's centre line, the neck and the shoulders.
HEAD_Y = 440.0
NECK: Box = (452.0, 640.0, 572.0, 830.0)
SHOULDERS: Box = (160.0, 796.0, 864.0, 1240.0)


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


_RAMP = Image.linear_gradient("L").resize((1, 256))
Stops = Sequence[tuple[float, RGB]]  # (position 0..1 from the top, colour), in order


def ramp(stops: Stops) -> Image.Image:
    """A 1x256 vertical strip through colour ``stops`` (a material's multi-band sheen)."""
    strip = Image.new("RGB", (1, 256))
    pixels: list[RGB] = []
    for i in range(256):
        t = i / 255
        k = next((k for k in range(1, len(stops)) if stops[k][0] >= t), len(stops) - 1)
        (p0, c0), (p1, c1) = stops[k - 1], stops[k]
        pixels.append(mix(c0, c1, min(max((t - p0) / (p1 - p0) if p1 > p0 else 1.0, 0.0), 1.0)))
    strip.putdata(pixels)
    return strip


def shield_points(box: Box, n: int = 12) -> list[Point]:
    """A heater shield filling ``box``: flat top with soft corners, sides curving to a point."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    c = w * 0.08
    pts: list[Point] = [(x0 + c, y0), (x1 - c, y0), (x1, y0 + c), (x1, y0 + h * 0.42)]
    cx = (x0 + x1) / 2
    for i in range(1, n + 1):  # quadratic curve from the right side's end down to the point
        t = i / n
        ctrl = (x1, y0 + h * 0.8)
        start, end = (x1, y0 + h * 0.42), (cx, y1)
        pts.append(((1 - t) ** 2 * start[0] + 2 * (1 - t) * t * ctrl[0] + t * t * end[0],
                    (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * ctrl[1] + t * t * end[1]))
    left = [(x0 + x1 - x, y) for x, y in reversed(pts[3:-1])]
    return [*pts, *left, (x0, y0 + c)]


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

    def gradient(self, mask: Image.Image, top: RGB, bottom: RGB, box: Box,
                 stops: Stops | None = None) -> None:
        """A vertical ``top``→``bottom`` gradient (or through ``stops``) over ``box``, painted
        through ``mask``."""
        x0, y0, x1, y1 = self.box(box)
        # 1x256: colour it small, stretch once
        strip = ramp(stops) if stops else ImageOps.colorize(_RAMP, top, bottom)
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
        """Draw a part outline kind ('rounded', 'ellipse', 'octagon', 'dome', 'shield')."""
        x0, y0, x1, y1 = box[0] - grow, box[1] - grow, box[2] + grow, box[3] + grow
        if kind == "shield":
            draw.polygon([(self.px(x), self.px(y)) for x, y in shield_points((x0, y0, x1, y1))],
                         fill=fill)
        elif kind == "ellipse":
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
             stroke: float, stops: Stops | None = None) -> Image.Image:
        """Outline + vertical gradient fill + indigo rim light; returns the part's mask."""
        self.shape(self.draw, kind, box, radius, grow=stroke, fill=outline)
        mask, draw = self.mask()
        self.shape(draw, kind, box, radius)
        self.gradient(mask, top, bottom, box, stops)
        # light catching the upper-right edge, as from the backdrop glow
        bbox = self.box((box[0] - stroke, box[1] - stroke, box[2] + stroke, box[3] + stroke))
        crop = mask.crop(bbox)
        shifted = ImageChops.offset(crop, -self.px(stroke * 1.6), self.px(stroke * 1.2))
        rim = ImageChops.subtract(crop, shifted).point(lambda v: round(v * 0.45))
        self.image.paste(RIM, bbox, rim)
        return mask


def mirror(box: Box) -> Box:
    """``box`` reflected in the vertical centre line (the other ear, the other lens)."""
    return (SIZE - box[2], box[1], SIZE - box[0], box[3])


def disc(cv: Canvas, x: float, y: float, r: float, colour: RGB, halo: float = 0.0) -> None:
    """A lit ball: optional halo, outline, gradient, specular dot."""
    if halo:
        mask, d = cv.mask()
        d.ellipse(cv.box((x - r * halo, y - r * halo, x + r * halo, y + r * halo)), fill=255)
        cv.fill(cv.soften(mask, r * 0.6), colour, 0.55)
    cv.part("ellipse", (x - r, y - r, x + r, y + r), r, lighten(colour, 0.45), colour,
            darken(colour, 0.75), STROKE * 0.8)
    mask, d = cv.mask()
    d.ellipse(cv.box((x - r * 0.5, y - r * 0.62, x - r * 0.05, y - r * 0.2)), fill=255)
    cv.fill(mask, WHITE, 0.7)


def rod(cv: Canvas, p0: Point, p1: Point, width: float, colour: RGB, outline: RGB) -> None:
    """An outlined straight stalk with round caps (antennas, side spikes)."""
    for w, c in ((width + 2 * STROKE, outline), (width, colour)):
        cv.stroke(cv.draw, [p0, p1], w, c)
