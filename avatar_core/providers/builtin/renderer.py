"""Compose one portrait: body, then head and face, then turn the head for the emotion.

Drawn on a 2x canvas and resolved with an exact 2x2 box average (``Image.reduce``): the
classic supersampling anti-alias, and 15x cheaper than a LANCZOS resize on this hardware,
which keeps one 1024 px PNG at roughly 0.2-0.3 s on two cores.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops

from ...foundation.models import ProviderName
from ..base import GeneratedImage, ImageRequest
from .body import draw_body
from .canvas import SIZE, Canvas
from .design import Robot, design
from .eyewear import draw_eyewear
from .face import EXPRESSIONS, draw_cues, face_layout, light_face
from .head import (
    HeadFrame,
    draw_antenna,
    draw_ears,
    draw_pattern,
    draw_screen,
    draw_skull,
    draw_trim,
    head_frame,
)
from .headwear import draw_earcups, draw_hat, draw_headband, draw_mast

__all__ = ["SCALE", "BuiltinProvider", "draw_head", "render_robot"]

SCALE = 2
TILT_CENTRE_Y = 700  # the head turns about the neck, not about its own centre


def _draw_crown(cv: Canvas, robot: Robot, frame: HeadFrame) -> None:
    """What sits behind and above the head: headset band, ears, antenna."""
    if robot.wears("headset"):
        draw_headband(cv, robot, frame)  # the ear cups replace the ears
    else:
        draw_ears(cv, robot, frame)
    if robot.wears("antenna"):
        draw_mast(cv, robot, frame)
    elif not robot.wears("hat"):  # a hat hides the name's own antenna
        draw_antenna(cv, robot, frame)


def draw_head(cv: Canvas, robot: Robot, emotion: str) -> float:
    """Ears, antenna, head, screen, face and headwear; returns the head's tilt in degrees."""
    frame = head_frame(robot)
    _draw_crown(cv, robot, frame)
    skull = draw_skull(cv, robot, frame)
    draw_pattern(cv, robot, frame, skull)
    draw_trim(cv, robot, frame, skull)
    glass = draw_screen(cv, robot, frame)
    face = face_layout(frame.screen)
    features = light_face(cv, robot, face, emotion, glass)
    draw_eyewear(cv, robot, face, skull, features)
    if robot.wears("headset"):
        draw_earcups(cv, robot, frame)
    if robot.wears("hat"):
        draw_hat(cv, robot, frame)
    draw_cues(cv, robot, frame.head, face, emotion, glass)
    return EXPRESSIONS[emotion].tilt


def _turn_head(out: Image.Image, body: Image.Image, drawn: Image.Image, tilt: float) -> Image.Image:
    """Rotate what the head stage painted (at output size) and lay it back over the body."""
    # Rotating the 2x canvas would cost half a second; the output-size turn is as clean.
    changed = ImageChops.difference(body, drawn).convert("L").point(
        lambda v: 255 if v else 0).reduce(SCALE)
    out_body = body.reduce(SCALE)
    bbox = changed.getbbox() or (0, 0, SIZE, SIZE)
    pad = 60
    region = (max(bbox[0] - pad, 0), max(bbox[1] - pad, 0),
              min(bbox[2] + pad, SIZE), min(bbox[3] + pad, SIZE))
    centre = (512 - region[0], TILT_CENTRE_Y - region[1])
    head = out.crop(region).rotate(tilt, Image.Resampling.BICUBIC, center=centre)
    mask = changed.crop(region).rotate(tilt, Image.Resampling.BILINEAR, center=centre)
    out_body.paste(head, region[:2], mask)
    return out_body


def render_robot(request: ImageRequest) -> bytes:
    """Draw the portrait for ``request`` and return it as a 1024x1024 PNG."""
    robot = design(request)
    cv = Canvas(SCALE)
    draw_body(cv, robot)
    body = cv.image.copy()
    emotion = request.emotion.value if request.emotion else "neutral"
    tilt = draw_head(cv, robot, emotion)
    # reduce() is an exact box average of each SCALE×SCALE block: the supersampling resolve,
    # 15x cheaper than LANCZOS for an integer factor and just as clean on flat art.
    out = cv.image.reduce(SCALE)
    if tilt:
        out = _turn_head(out, body, cv.image, tilt)
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class BuiltinProvider:
    """Offline, deterministic robot avatars; needs no configuration (``BuiltinProvider()``)."""

    name: str = ProviderName.BUILTIN
    model: str = "robot-v1"

    def generate(self, request: ImageRequest) -> GeneratedImage:
        return GeneratedImage(data=render_robot(request), mime_type="image/png")
