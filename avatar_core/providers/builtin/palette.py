"""A robot's five colours: from the style image, else the prompt's colour words, else the name.

Why this order: an uploaded style image is the strongest statement of intent, a colour word
the next ("matte black with glowing teal circuit traces"), and an agent with neither still
deserves a palette that looks designed, so names pick one of a few tried combinations.
"""

from __future__ import annotations

import colorsys
import io
import random
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ...foundation.errors import InvalidInput
from ..base import ImageRequest
from .canvas import INK, RGB, darken, mix, tune
from .materials import MATERIALS
from .words import COLOURS, Wording

__all__ = ["NAME_PALETTES", "Palette", "choose_palette", "image_colours", "lightness"]

# (body, secondary, glow) combinations that look good together, for names without colour words.
NAME_PALETTES = (
    ("blue", "navy", "cyan"), ("teal", "gunmetal", "amber"), ("orange", "gunmetal", "cyan"),
    ("purple", "indigo", "pink"), ("chrome", "navy", "sky"), ("green", "gunmetal", "lime"),
    ("red", "gunmetal", "amber"), ("pink", "purple", "mint"), ("amber", "navy", "sky"),
    ("yellow", "gunmetal", "cyan"), ("violet", "navy", "amber"), ("copper", "gunmetal", "teal"),
    ("sky", "navy", "yellow"), ("mint", "teal", "pink"), ("magenta", "navy", "cyan"),
    ("lime", "gunmetal", "violet"),
)


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


def _glow(colour: RGB) -> RGB:
    return tune(colour, lo=0.6, hi=0.74, min_sat=0.8)


def _body(colour: RGB) -> RGB:
    return tune(colour, lo=0.24, hi=0.8)


def lightness(colour: RGB) -> float:
    return colorsys.rgb_to_hls(*(v / 255 for v in colour))[1]


def _saturation(colour: RGB) -> float:
    return colorsys.rgb_to_hls(*(v / 255 for v in colour))[2]


def image_colours(data: bytes) -> list[RGB]:
    """The style image's main colours, most common first (median cut is deterministic)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (128, 128))
            rgba = im.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("The style image is not a readable image") from exc
    rgba.thumbnail((48, 48))
    flat = Image.new("RGB", rgba.size, (128, 128, 128))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    quant = flat.quantize(colors=6, method=Image.Quantize.MEDIANCUT)
    pal = quant.getpalette() or []
    # a "P" image's colours are (count, palette index) pairs
    counts = sorted(((n, i) for n, i in quant.getcolors() or [] if isinstance(i, int)),
                    key=lambda c: (-c[0], c[1]))
    return [(pal[3 * i], pal[3 * i + 1], pal[3 * i + 2]) for _, i in counts]



def _style_colours(data: bytes) -> tuple[RGB, RGB, RGB]:
    """(body, secondary, glow) from the style image: commonest, next distinct, most vivid."""
    colours = image_colours(data)
    body = colours[0]
    distinct = [c for c in colours[1:]
                if sum(map(abs, (c[0] - body[0], c[1] - body[1], c[2] - body[2]))) > 90]
    second = distinct[0] if distinct else darken(body, 0.35)
    return body, second, max(colours, key=lambda c: (_saturation(c), c))


def choose_palette(request: ImageRequest, rng: random.Random, wording: Wording) -> Palette:
    """Style image, then colour words in the prompt (or a named material's own colour), then
    the name's own combination."""
    body_name, second_name, glow_name = rng.choice(NAME_PALETTES)
    body, second, glow = COLOURS[body_name], COLOURS[second_name], COLOURS[glow_name]
    material = MATERIALS[wording.material] if wording.material else None
    if request.style_image:
        body, second, glow = _style_colours(request.style_image)
    else:
        glow = wording.glow or glow
        bodies = wording.body_colours or ((material.colour,) if material else ())
        if bodies:
            body = bodies[0]
            second = bodies[1] if len(bodies) > 1 else darken(body, 0.3)
    body = tune(body, lo=0.24, hi=material.brightest if material else 0.8)
    second = _body(second)
    trim = (84, 94, 114) if lightness(body) > 0.6 else (176, 186, 204)
    if material and material.trim:
        trim = material.trim
    two_tone = wording.two_tone and not request.style_image
    return Palette(body, second if two_tone else darken(body, 0.22), second, trim, _glow(glow))
