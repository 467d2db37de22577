"""Renditions: an image at one rung of the size ladder, in one of the three formats clients take.

Embedding clients show avatars at 32-48 px and not all of them decode WebP, so every image GET
may ask for ``?size=`` (rounded up to ``LADDER``, never above the source) and a format
(negotiated from ``Accept``: AVIF, else WebP, else PNG). A rendition is resized from the
sharpest source there is with LANCZOS in linear light (averaging sRGB values darkens edges and
thin highlights), then encoded like the display image: the lowest quality whose luma SSIM
reaches ``DISPLAY_TARGET_SSIM``. AVIF is searched the same way; it is several times slower to
encode than WebP, so the product makes it only in the background.
"""

from __future__ import annotations

import io
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .ssim import SSIM_WINDOW, SsimReference
from .webp import (
    DISPLAY_TARGET_SSIM,
    Effort,
    encode_at_target,
    lowest_passing,
    viewed_luma,
)

__all__ = [
    "AVIF_FLOOR",
    "AVIF_SPEED",
    "LADDER",
    "SIZE_MAX",
    "SIZE_MIN",
    "ImageFormat",
    "encode_avif",
    "ladder_side",
    "negotiate",
    "render",
    "resize_linear",
]

LADDER: tuple[int, ...] = (32, 48, 64, 96, 128, 192, 256, 384, 512)
"""The sides renditions are made at; an asked size is rounded up to the next one."""

SIZE_MIN, SIZE_MAX = 16, 512

AVIF_FLOOR = 30
"""The lowest AVIF quality tried. AVIF keeps colour far better than WebP at equal luma SSIM
(its chroma is predicted from luma), so it needs no floor as high as WebP's 50."""

AVIF_SPEED = 6
"""libavif's speed (0 slow … 10 fast). Measured on ``bench/webp.py``'s photographs at the SSIM
target: 4 makes files 2-3 % smaller for three to four times the encoder time."""


class ImageFormat(StrEnum):
    AVIF = "avif"
    WEBP = "webp"
    PNG = "png"

    @property
    def media_type(self) -> str:
        return f"image/{self.value}"


def ladder_side(asked: int | None, source_side: int) -> int:
    """The side to serve: ``asked`` rounded up to the ladder, never above ``source_side``.

    None (no ``?size=``) is the source's own side. The API refuses sizes outside 16-512 (422).
    """
    if asked is None:
        return source_side
    if not SIZE_MIN <= asked <= SIZE_MAX:
        raise ValueError(f"size must be between {SIZE_MIN} and {SIZE_MAX} pixels")
    rung = next(side for side in LADDER if side >= asked)
    return min(rung, source_side)


def negotiate(accept: str | None, asked: ImageFormat | None) -> tuple[ImageFormat, bool]:
    """(the format to answer, whether it was negotiated from ``Accept``).

    ``?format=`` wins. Otherwise AVIF when ``Accept`` names it, WebP when it names WebP or any
    image (``image/*``, ``*/*``, or no header at all: what every client took before), else PNG.
    ``Accept`` is thereby reduced to three buckets, so caches keep three answers, not one per
    browser's header.
    """
    if asked is not None:
        return asked, False
    if accept is None:
        return ImageFormat.WEBP, True
    taken = {_media(part) for part in accept.lower().split(",")} - {""}
    if "image/avif" in taken:
        return ImageFormat.AVIF, True
    if taken & {"image/webp", "image/*", "*/*"} or not taken:
        return ImageFormat.WEBP, True
    return ImageFormat.PNG, True


def _media(part: str) -> str:
    """The media range of one ``Accept`` element; empty when its q is 0 (refused)."""
    media, *params = (p.strip() for p in part.split(";"))
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "q":
            try:
                if float(value) <= 0:
                    return ""
            except ValueError:
                return ""
    return media


def render(source: Image.Image, side: int, fmt: ImageFormat, effort: Effort) -> bytes:
    """``source`` shrunk to ``side`` on its longest side and encoded as ``fmt``."""
    image = resize_linear(source, side)
    if fmt is ImageFormat.WEBP:
        return encode_at_target(image, target=DISPLAY_TARGET_SSIM, effort=effort).data
    if fmt is ImageFormat.AVIF:
        return encode_avif(image)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def encode_avif(image: Image.Image, *, target: float = DISPLAY_TARGET_SSIM) -> bytes:
    """AVIF at the lowest quality (not below ``AVIF_FLOOR``) whose luma SSIM reaches ``target``."""
    if min(image.size) < SSIM_WINDOW:
        return _avif(image, 90)
    reference = SsimReference(viewed_luma(image))
    probes: dict[int, bytes] = {}

    def measure(quality: int) -> float:
        probes[quality] = data = _avif(image, quality)
        with Image.open(io.BytesIO(data)) as decoded:
            return reference.score(viewed_luma(decoded))

    quality = lowest_passing(measure, target=target, floor=AVIF_FLOOR, ceiling=100,
                             first_guess=45)
    return probes[quality] if quality in probes else _avif(image, quality)


def _avif(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="AVIF", quality=quality, speed=AVIF_SPEED)
    return out.getvalue()


def resize_linear(image: Image.Image, side: int) -> Image.Image:
    """``image`` (RGB or RGBA) with its longest side ``side``, LANCZOS on linear light.

    Colour is premultiplied by alpha before filtering, so transparent pixels lend no colour to
    the edge. An image already that small is returned as it is.
    """
    width, height = image.size
    if max(width, height) <= side:
        return image
    scale = side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    pixels = np.asarray(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
    linear = _TO_LINEAR[pixels[..., :3]]
    alpha = pixels[..., 3].astype(np.float32) / 255 if pixels.shape[2] == 4 else None
    if alpha is not None:
        linear = linear * alpha[..., None]
    planes = [_resize_plane(linear[..., c], size) for c in range(3)]
    if alpha is None:
        return Image.fromarray(_to_srgb(np.stack(planes, axis=-1)), "RGB")
    shrunk_alpha = np.clip(_resize_plane(alpha, size), 0.0, 1.0)
    colour = np.stack(planes, axis=-1) / np.maximum(shrunk_alpha, 1e-6)[..., None]
    rgba = np.dstack([_to_srgb(colour), np.round(shrunk_alpha * 255).astype(np.uint8)])
    return Image.fromarray(rgba, "RGBA")


def _resize_plane(plane: NDArray[np.floating], size: tuple[int, int]) -> NDArray[np.float32]:
    shrunk = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), "F").resize(
        size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(shrunk, dtype=np.float32)


def _srgb_to_linear(values: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


_TO_LINEAR: NDArray[np.float32] = _srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)


def _to_srgb(linear: NDArray[np.floating]) -> NDArray[np.uint8]:
    values = np.clip(linear, 0.0, 1.0)
    encoded = np.where(values <= 0.0031308, values * 12.92, 1.055 * values ** (1 / 2.4) - 0.055)
    return np.asarray(np.round(encoded * 255), dtype=np.uint8)
