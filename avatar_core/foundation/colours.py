"""The dominant colours of an image: what a reference image's colours are, in order."""

from __future__ import annotations

from PIL import Image

from .imaging import decode_stored

__all__ = ["palette"]

_ALPHA_FLOOR = 64
"""Pixels more transparent than this (0–255) do not count towards the palette."""

_PALETTE_SAMPLE_SIDE = 64


def palette(data: bytes, count: int = 3) -> list[tuple[int, int, int]]:
    """The ``count`` dominant colours of an image, most common first.

    Used to carry a reference image's colours into generated avatars. A small thumbnail is
    enough and keeps this fast; median-cut quantisation is deterministic. Near-transparent
    pixels are ignored so a cut-out's empty background does not become its main colour. An
    image with no visible pixels has no palette: the result is then empty.
    """
    if count < 1:
        raise ValueError("count must be positive")
    image = decode_stored(data)
    image.thumbnail((_PALETTE_SAMPLE_SIDE, _PALETTE_SAMPLE_SIDE), Image.Resampling.BILINEAR)
    rgba = image.convert("RGBA").tobytes()
    visible = bytearray()
    for offset in range(0, len(rgba), 4):
        if rgba[offset + 3] >= _ALPHA_FLOOR:
            visible += rgba[offset : offset + 3]
    if not visible:
        return []
    strip = Image.frombytes("RGB", (len(visible) // 3, 1), bytes(visible))
    quantised = strip.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    colours: list[int] = list(quantised.getpalette() or [])
    counts = sorted(quantised.getcolors() or [], key=lambda item: (-item[0], item[1]))
    result: list[tuple[int, int, int]] = []
    for _, entry in counts:
        index = int(entry)  # type: ignore[call-overload]  # a palette index for mode P
        colour = (colours[3 * index], colours[3 * index + 1], colours[3 * index + 2])
        if colour not in result:
            result.append(colour)
    return result[:count]
