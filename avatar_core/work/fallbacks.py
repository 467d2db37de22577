"""Stand-in faces for an agent without an avatar: its initials, or the built-in robot for its name.

An embedding client asks ``?fallback=initials|robot`` so that it never shows a broken image.
Both are pure functions of the agent (name, display name, kind), so every replica draws the
same bytes; neither costs a provider call.
"""

from __future__ import annotations

import io
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from ..domain.tiles import initials, ring_color
from ..foundation.keys import seed_for
from ..foundation.models import Agent
from ..foundation.renditions import ImageFormat, render
from ..foundation.webp import Effort
from ..providers.base import ImageRequest
from ..providers.builtin.renderer import render_robot

__all__ = ["FALLBACK_KINDS", "FallbackKind", "fallback_image"]

FallbackKind = Literal["initials", "robot"]
FALLBACK_KINDS: tuple[FallbackKind, ...] = ("initials", "robot")

_SUPERSAMPLE = 4  # letters drawn this much larger, then shrunk: smooth edges at 32 px


def fallback_image(agent: Agent, kind: FallbackKind, side: int, fmt: ImageFormat) -> bytes:
    """The ``kind`` stand-in of ``agent``, ``side`` px square, encoded as ``fmt``."""
    source = _robot(agent) if kind == "robot" else _initials(agent, side * _SUPERSAMPLE)
    return render(source, side, fmt, Effort.INTERACTIVE)


def _robot(agent: Agent) -> Image.Image:
    request = ImageRequest(kind="identity", agent_name=agent.name,
                           identity_prompt=agent.display_name, prompt=agent.display_name,
                           seed=seed_for(agent.name))
    with Image.open(io.BytesIO(render_robot(request))) as drawn:
        return drawn.convert("RGB")


def _initials(agent: Agent, side: int) -> Image.Image:
    """White initials on the agent's ring colour (the colour its tiles are framed in)."""
    image = Image.new("RGB", (side, side), ring_color(agent.is_system))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=round(side * 0.4))
    draw.text((side / 2, side / 2), initials(agent.display_name or agent.name), fill="white",
              font=font, anchor="mm")
    return image
