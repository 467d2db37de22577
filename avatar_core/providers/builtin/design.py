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
from .palette import Palette, choose_palette

__all__ = ["ANTENNAS", "EARS", "EYES", "HEADS", "MOUTHS", "SCREENS", "Robot", "design"]

HEADS = ("rounded", "soft", "ellipse", "octagon", "dome", "capsule")
SCREENS = ("rounded", "pill", "tv")
EYES = ("round", "pill", "square", "ring", "wide")
MOUTHS = ("smile", "line", "grille", "wave", "smile")
ANTENNAS = ("single", "double", "bulb", "fin", "bar")
EARS = ("disc", "box", "cup", "bolt", "spike")


@dataclass(frozen=True)
class Robot:
    """Every choice that shapes one portrait; ``base`` fields from the name, the rest from seed."""

    head: str
    width: float
    height: float
    screen: str
    eyes: str
    mouth: str
    antenna: str
    ears: str
    palette: Palette
    spectacles: bool
    tie: bool
    pattern: str | None
    gaze: int
    lean: float
    trim: str
    chest: str


def design(request: ImageRequest) -> Robot:
    """Decide the robot: base style from the name, details from the request's seed."""
    base = random.Random(seed_for("builtin-robot", request.agent_name))
    detail = random.Random(request.seed)
    extras = random.Random(seed_for("builtin-accessories", request.agent_name))
    prompt = request.identity_prompt.lower()
    head = base.choice(HEADS)
    return Robot(
        head=head, width=base.choice((540.0, 570.0, 600.0)), height=base.choice((450.0, 480.0)),
        screen=base.choice(SCREENS), eyes=base.choice(EYES), mouth=base.choice(MOUTHS),
        antenna=base.choice(ANTENNAS), ears=base.choice(EARS),
        palette=choose_palette(request, base),
        spectacles=any(w in prompt for w in ("spectacle", "glasses")) or extras.random() < 0.1,
        tie=any(w in prompt for w in ("executive", "business", "suit")) or extras.random() < 0.12,
        pattern=("circuit" if "circuit" in prompt else "grid" if "grid" in prompt
                 else detail.choice((None, None, None, "grid", "circuit"))),
        gaze=detail.choice((-1, 0, 0, 1)), lean=detail.uniform(-18, 18),
        trim=detail.choice(("rivets", "light", "seam", "vents")),
        chest=detail.choice(("core", "panel", "stripes", "badge")),
    )
