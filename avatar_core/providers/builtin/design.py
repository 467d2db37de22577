"""Decide one portrait before drawing it: every choice in one frozen ``Robot``.

Why a separate decision step: tests and the contact sheet can ask *what* a prompt asked for
without reading pixels, and the drawing code never consults the prompt, the name or a random
generator itself, so the same request always draws the same picture.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ...foundation.keys import seed_for
from ..base import ImageRequest
from .canvas import RGB
from .palette import Palette, choose_palette
from .words import Wording, read_words

__all__ = ["ACCESSORIES", "ANTENNAS", "EARS", "EYES", "HEADS", "MOUTHS", "SCREENS", "Robot",
           "design"]

HEADS = ("rounded", "soft", "ellipse", "octagon", "dome", "capsule")
SCREENS = ("rounded", "pill", "tv")
EYES = ("round", "pill", "square", "ring", "wide")
MOUTHS = ("smile", "line", "grille", "wave", "smile")
ANTENNAS = ("single", "double", "bulb", "fin", "bar")
EARS = ("disc", "box", "cup", "bolt", "spike")
ACCESSORIES = ("spectacles", "monocle", "visor", "headset", "antenna", "bow_tie", "hat", "scarf",
               "shield", "tie")
# Pairs that cannot be worn together: when a prompt names both, the first one named wins.
EXCLUSIVE = (("spectacles", "monocle"), ("tie", "bow_tie"))


@dataclass(frozen=True)
class Robot:
    """Every choice that shapes one portrait: shape and palette from the name, details from the
    seed, material, accessories and colours from the prompt's words."""

    head: str
    width: float
    height: float
    screen: str
    eyes: str
    mouth: str
    antenna: str
    ears: str
    palette: Palette
    accessories: frozenset[str]
    material: str | None
    tints: tuple[tuple[str, RGB], ...]
    pattern: str | None
    gaze: int
    lean: float
    trim: str
    chest: str

    def wears(self, accessory: str) -> bool:
        return accessory in self.accessories

    def tint(self, accessory: str, default: RGB) -> RGB:
        """The colour the prompt gave ``accessory`` ("red scarf"), else ``default``."""
        return next((colour for name, colour in self.tints if name == accessory), default)

    @property
    def spectacles(self) -> bool:
        return self.wears("spectacles")

    @property
    def tie(self) -> bool:
        return self.wears("tie")


def _accessories(wording: Wording, extras: random.Random) -> frozenset[str]:
    """The prompt's accessories, plus the name's occasional spectacles or tie."""
    named = list(wording.accessories)
    worn = set(named)
    # The name's own extras: both draws always happen, so naming one accessory never changes
    # whether the name brings the other.
    if extras.random() < 0.1:
        worn.add("spectacles")
    if extras.random() < 0.12:
        worn.add("tie")
    for first, second in EXCLUSIVE:
        if first in worn and second in worn:
            # a named one beats a drawn one; of two named ones, the first named
            if second in named and (first not in named or named.index(second) < named.index(first)):
                worn.discard(first)
            else:
                worn.discard(second)
    return frozenset(worn)


def _pattern(wording: Wording, detail: random.Random) -> str | None:
    """The prompt's pattern; else the seed's, unless a named material is the surface."""
    if wording.pattern:  # no draw: the seed's later details stay what they always were
        return wording.pattern
    drawn = detail.choice((None, None, None, "grid", "circuit"))
    return None if wording.material else drawn


def design(request: ImageRequest) -> Robot:
    """Decide the robot: base style from the name, details from the request's seed."""
    base = random.Random(seed_for("builtin-robot", request.agent_name))
    detail = random.Random(request.seed)
    extras = random.Random(seed_for("builtin-accessories", request.agent_name))
    wording = read_words(request.identity_prompt)
    head = base.choice(HEADS)
    return Robot(
        head=head, width=base.choice((540.0, 570.0, 600.0)), height=base.choice((450.0, 480.0)),
        screen=base.choice(SCREENS), eyes=base.choice(EYES), mouth=base.choice(MOUTHS),
        antenna=base.choice(ANTENNAS), ears=base.choice(EARS),
        palette=choose_palette(request, base, wording),
        accessories=_accessories(wording, extras), material=wording.material,
        tints=wording.tints,
        pattern=_pattern(wording, detail),
        gaze=detail.choice((-1, 0, 0, 1)), lean=detail.uniform(-18, 18),
        trim=detail.choice(("rivets", "light", "seam", "vents")),
        chest=detail.choice(("core", "panel", "stripes", "badge")),
    )
