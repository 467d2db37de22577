"""Lossy WebP at a perceptual target: the lowest quality whose SSIM reaches it, found by search.

A fixed quality is wrong both ways: too high for smooth images (bytes nobody can see), too low
for detailed ones (visible loss). So each image is encoded at a few qualities, each candidate is
decoded and measured against the source, and the lowest quality that meets the target wins.

The measure is SSIM as Wang et al. defined it — on luma (ITU-R 601 Y, as Pillow converts) —
computed the way scikit-image does with its defaults (see ``ssim``). Luma is where the eye
looks for detail (the reason every lossy codec halves chroma resolution), so it is the measure
codec comparisons report. On its own it is too forgiving of colour in fine detail: at quality
20 the red of the rocket's logo in ``bench/webp.py`` is gone while luma SSIM still says 0.95.
``QUALITY_FLOOR`` (50) closes that gap: at 50 and above we see no colour loss at display size
(and barely any at 2× zoom). Per-channel RGB SSIM was tried first; it charges WebP's halved
chroma at every quality, so detailed photographs then need quality 85–87 and cost as much as
the fixed recipe they replace. The bench prints both measures for every image.

Transparent pixels are compared as a viewer sees them over black (colour premultiplied by
alpha): libwebp may rewrite the colour under fully transparent pixels, and alpha itself is
stored losslessly, so only what shows through can differ.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .ssim import SSIM_WINDOW, SsimReference

__all__ = [
    "DISPLAY_TARGET_SSIM",
    "FIRST_GUESS",
    "QUALITY_CEILING",
    "QUALITY_FLOOR",
    "WEBP_METHOD",
    "Effort",
    "EffortName",
    "TargetedWebp",
    "encode_at_target",
    "encode_webp",
    "lowest_passing",
    "viewed_luma",
    "viewed_pixels",
]

QUALITY_FLOOR = 50
"""Never encode below this, whatever SSIM says: luma SSIM cannot see colour, and below ~50
fine coloured detail (a logo, the built-in faces' glowing eyes) visibly loses its colour."""

QUALITY_CEILING = 100
"""The highest quality tried; an image that misses the target even there is encoded at it."""

FIRST_GUESS = 55
"""Where a search starts unless told otherwise: photographs land at quality 50–65."""

class Effort(StrEnum):
    """How much encoder time an image may cost, by whether someone is waiting for it."""

    INTERACTIVE = "interactive"
    BACKGROUND = "background"


EffortName = Literal["interactive", "background"]

WEBP_METHOD = {Effort.INTERACTIVE: 4, Effort.BACKGROUND: 6}
"""libwebp ``method`` (0 fast … 6 small) per effort. Measured on 512 px photographs at the same
SSIM target: method 6 costs about twice the encoder time of 4 for files 0–5 % smaller, worth
it only where nobody waits. Method 2 encodes twice as fast as 4, but its search needed more
probes and its files were 13 % larger, so it bought no time."""

DISPLAY_TARGET_SSIM = 0.95
"""Each display image is encoded at the lowest WebP quality (not below the floor) whose luma
SSIM against the resampled source reaches this. Measured by ``bench/webp.py``: photographs at
quality 50–62, about half the bytes of a fixed quality 85; the built-in renderer's flat faces
reach it at the floor (luma SSIM ≈ 0.985 there), so they need no target of their own."""


@dataclass(frozen=True)
class TargetedWebp:
    """The chosen encoding and the figures that chose it."""

    data: bytes
    quality: int
    ssim: float | None
    """SSIM of ``data`` against the source; None for an image too small to measure."""
    probes: int
    """How many qualities were encoded to find this one."""


def viewed_luma(image: Image.Image) -> NDArray[np.uint8]:
    """H×W luma of the image as a viewer sees it over black (what the search measures)."""
    return np.asarray(Image.fromarray(viewed_pixels(image)).convert("L"))


def viewed_pixels(image: Image.Image) -> NDArray[np.uint8]:
    """H×W×3 RGB as a viewer sees it over black: alpha premultiplied, hidden colour gone."""
    if image.mode in ("RGBA", "LA", "PA"):
        over_black = Image.new("RGB", image.size)
        over_black.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return np.asarray(over_black)
    return np.asarray(image.convert("RGB"))


def encode_webp(image: Image.Image, quality: int, method: int) -> bytes:
    """One lossy WebP encode with our fixed settings; no metadata, so same pixels, same bytes."""
    out = io.BytesIO()
    # exact=False lets libwebp flatten the colour under fully transparent pixels (smaller);
    # alpha itself stays lossless (Pillow's default alpha_quality of 100).
    image.save(out, format="WEBP", quality=quality, method=method, exact=False)
    return out.getvalue()


def encode_at_target(
    image: Image.Image,
    *,
    target: float,
    effort: Effort | EffortName = Effort.INTERACTIVE,
    first_guess: int = FIRST_GUESS,
    floor: int = QUALITY_FLOOR,
    ceiling: int = QUALITY_CEILING,
) -> TargetedWebp:
    """Encode ``image`` (RGB or RGBA) at the lowest quality in [floor, ceiling] meeting ``target``.

    "Lowest" as ``lowest_passing`` promises it: the chosen quality meets the target and the one
    below it does not, unless the chosen one is the floor; the ceiling when nothing meets it.
    An image smaller than the SSIM window cannot be measured and is encoded at the ceiling:
    it costs a few hundred bytes at any quality.
    """
    if not 0 <= floor <= ceiling <= 100:
        raise ValueError("need 0 <= floor <= ceiling <= 100")
    method = WEBP_METHOD[Effort(effort)]
    if min(image.size) < SSIM_WINDOW:
        return TargetedWebp(encode_webp(image, ceiling, method), ceiling, None, probes=1)
    reference = SsimReference(viewed_luma(image))
    probes: dict[int, tuple[bytes, float]] = {}

    def measure(quality: int) -> float:
        data = encode_webp(image, quality, method)
        with Image.open(io.BytesIO(data)) as decoded:
            score = reference.score(viewed_luma(decoded))
        probes[quality] = (data, score)
        return score

    quality = lowest_passing(
        measure, target=target, first_guess=first_guess, floor=floor, ceiling=ceiling)
    if quality not in probes:  # the ceiling, accepted untried
        measure(quality)
    data, score = probes[quality]
    return TargetedWebp(data, quality, score, probes=len(probes))


def lowest_passing(
    measure: Callable[[int], float],
    *,
    target: float,
    floor: int,
    ceiling: int,
    first_guess: int = FIRST_GUESS,
) -> int:
    """The lowest quality in [floor, ceiling] whose ``measure`` reaches ``target``, by search.

    The search keeps a bracket — the highest quality known to miss (or floor − 1), the lowest
    known to meet (or the ceiling, accepted untried) — and stops when they are neighbours, so
    the answer meets the target and the quality below it does not (or the answer is the floor).
    SSIM rises with quality almost everywhere but not strictly, so only trying every quality
    could promise more. The first probe is ``first_guess``; each later one goes where the
    target is predicted (``_predict``): two to five probes for most images when the guess is
    close. Two predictions in a row that fail to halve a measured bracket are followed by a
    bisection step, which bounds the worst case near twice plain bisection.
    """
    scores: dict[int, float] = {}
    low, high = floor - 1, ceiling
    slow_steps = 0
    while high - low > 1:
        width = high - low
        if slow_steps >= 2:
            quality, slow_steps = (low + high) // 2, 0
        else:
            guess = _predict(scores, low, high, target) if scores else first_guess
            quality, slow_steps = min(max(guess, low + 1), high - 1), slow_steps + 1
        scores[quality] = measure(quality)
        if scores[quality] >= target:
            high = quality
        else:
            low = quality
        # Only a bracket measured at both ends can be "slow": while one end is still the floor
        # or the ceiling, predictions walk towards the target along the curve itself.
        if (high - low) * 2 <= width or low not in scores or high not in scores:
            slow_steps = 0
    return high


_TYPICAL_SLOPE = 0.13
"""SSIM gained per unit of libwebp's compression scale near SSIM 0.95 (photographs: 0.08–0.18);
used only until a second probe gives the real slope."""


def _predict(scores: dict[int, float], low: int, high: int, target: float) -> int:
    """Where the target is predicted: the quality to try next (the caller clamps it into the
    bracket).

    On the line through two measured points — the bracket's ends once both are measured, else
    the measured end and its nearest probe (the curve's own slope there) — or, with one probe,
    the typical slope. Rounded up, so that a good prediction lands on the answer and the probe
    after it, one below, closes the bracket.
    """
    if low in scores and high in scores:
        first, second = low, high
    else:
        end = low if low in scores else high
        nearest = min(scores, key=lambda quality: (quality == end, abs(quality - end)))
        first, second = sorted((end, nearest))
    rise = scores[second] - scores[first]
    run = _compression(second) - _compression(first)
    slope = rise / run if run > 0 and rise > 0 else _TYPICAL_SLOPE
    anchor = second if scores[second] >= target else first
    predicted = _quality(_compression(anchor) + (target - scores[anchor]) / slope)
    return math.ceil(predicted - 1e-9)


def _compression(quality: float) -> float:
    """Quality on libwebp's own scale (``QualityToCompression`` in its src/enc/quant_enc.c).

    libwebp bends quality at 75 (below it a step counts two thirds, above it two) and takes a
    cube root before choosing quantisers. SSIM is close to linear on that scale and far from
    linear in quality itself, so predictions are made there.
    """
    linear = quality / 100 * 2 / 3 if quality < 75 else 2 * quality / 100 - 1
    return float(max(linear, 0.0) ** (1 / 3))


def _quality(compression: float) -> float:
    """The inverse of ``_compression``."""
    linear = max(compression, 0.0) ** 3
    return linear * 3 / 2 * 100 if linear < 0.5 else (linear + 1) / 2 * 100
