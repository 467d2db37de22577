"""A robot's five colours: from the style image, else the prompt's colour words, else the name.

Why this order: an uploaded style image is the strongest statement of intent, a colour word
the next ("matte black with glowing teal circuit traces"), and an agent with neither still
deserves a palette that looks designed, so names pick one of a few tried combinations.
"""

from __future__ import annotations

import colorsys
import io
import random
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ...foundation.errors import InvalidInput
from ..base import ImageRequest
from .canvas import INK, RGB, darken, mix, tune

__all__ = ["COLOURS", "NAME_PALETTES", "Palette", "choose_palette", "image_colours", "lightness"]

COLOURS: dict[str, RGB] = {
    "chrome": (184, 194, 212), "silver": (170, 178, 192), "white": (226, 232, 240),
    "gray": (120, 130, 148), "grey": (120, 130, 148), "gunmetal": (76, 86, 104),
    "black": (46, 50, 62), "navy": (37, 62, 130), "blue": (59, 130, 246), "sky": (56, 189, 248),
    "cyan": (34, 200, 230), "teal": (20, 184, 166), "mint": (110, 231, 183),
    "green": (34, 197, 94), "lime": (132, 204, 22), "yellow": (250, 204, 21),
    "gold": (218, 170, 52), "amber": (245, 158, 11), "orange": (249, 115, 22),
    "copper": (196, 110, 60), "bronze": (176, 120, 60), "red": (239, 68, 68),
    "crimson": (200, 30, 60), "pink": (236, 72, 153), "magenta": (217, 70, 239),
    "purple": (147, 80, 230), "violet": (139, 92, 246), "indigo": (99, 102, 241),
    "lavender": (167, 139, 250),
}
# (body, secondary, glow) combinations that look good together, for names without colour words.
NAME_PALETTES = (
    ("blue", "navy", "cyan"), ("teal", "gunmetal", "amber"), ("orange", "gunmetal", "cyan"),
    ("purple", "indigo", "pink"), ("chrome", "navy", "sky"), ("green", "gunmetal", "lime"),
    ("red", "gunmetal", "amber"), ("pink", "purple", "mint"), ("amber", "navy", "sky"),
    ("yellow", "gunmetal", "cyan"), ("violet", "navy", "amber"), ("copper", "gunmetal", "teal"),
    ("sky", "navy", "yellow"), ("mint", "teal", "pink"), ("magenta", "navy", "cyan"),
    ("lime", "gunmetal", "violet"),
)
GLOW_NOUNS = frozenset({"eye", "eyes", "glow", "light", "lights", "trace", "traces", "led", "leds",
                        "accent", "accents", "visor", "screen", "circuit", "circuits"})
GLOW_ADJECTIVES = frozenset({"glowing", "neon", "lit", "luminous"})


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


def _is_glow(words: list[str], i: int) -> bool:
    """'glowing teal', 'amber eyes', 'teal circuit traces' light up; 'black with …' does not."""
    if i > 0 and words[i - 1] in GLOW_ADJECTIVES:
        return True
    for word in words[i + 1:i + 4]:
        if word in COLOURS or word in ("with", "and", "or"):
            return False
        if word in GLOW_NOUNS:
            return True
    return False


def choose_palette(request: ImageRequest, rng: random.Random) -> Palette:
    """Style image, then colour words in the prompt, then the name's own combination."""
    body_name, second_name, glow_name = rng.choice(NAME_PALETTES)
    body, second, glow = COLOURS[body_name], COLOURS[second_name], COLOURS[glow_name]
    two_tone = False
    if request.style_image:
        colours = image_colours(request.style_image)
        body = colours[0]
        distinct = [c for c in colours[1:] if sum(map(abs, (c[0] - body[0], c[1] - body[1],
                                                              c[2] - body[2]))) > 90]
        second = distinct[0] if distinct else darken(body, 0.35)
        glow = max(colours, key=lambda c: (_saturation(c), c))
    else:
        words = re.findall(r"[a-z]+", request.identity_prompt.lower())
        bodies: list[RGB] = []
        for i, word in enumerate(words):
            if word not in COLOURS:
                continue
            if _is_glow(words, i):
                glow = COLOURS[word]
            else:
                bodies.append(COLOURS[word])
        if bodies:
            body = bodies[0]
            second = bodies[1] if len(bodies) > 1 else darken(body, 0.3)
        two_tone = len(bodies) > 1 and bool({"holographic", "iridescent"} & set(words))
    body = _body(body)
    second = _body(second)
    trim = (84, 94, 114) if lightness(body) > 0.6 else (176, 186, 204)
    return Palette(body, second if two_tone else darken(body, 0.22), second, trim, _glow(glow))
