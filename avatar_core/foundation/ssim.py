"""SSIM (Wang et al. 2004) exactly as scikit-image's ``structural_similarity`` computes it.

Its defaults — a 7×7 uniform window, K1 = 0.01, K2 = 0.03, sample covariance, the mean over the
windows lying wholly inside the image, channels measured apart and averaged (``channel_axis``)
— so anyone can check our figures with that library; ``bench/webp.py`` does, and finds them
equal to 1e-8. The product does not depend on scikit-image (and SciPy under it): this short
numpy version is about 3× faster, which matters when the WebP search measures three or four
candidates while a person waits. The window sums are exact integer sums; only the final two
divisions are floating point.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["SSIM_WINDOW", "SsimReference", "ssim"]

SSIM_WINDOW = 7
"""Side of the square window: scikit-image's default (``_window_sums`` is written for it)."""

_K1, _K2 = 0.01, 0.03
_DATA_RANGE = 255
_C1 = (_K1 * _DATA_RANGE) ** 2
_C2 = (_K2 * _DATA_RANGE) ** 2

_Planes = NDArray[np.int32]


class SsimReference:
    """A source image prepared once, so that each candidate costs only its own window sums."""

    def __init__(self, pixels: NDArray[np.uint8]) -> None:
        planes = _planes(pixels)
        if min(planes.shape[1:]) < SSIM_WINDOW:
            raise ValueError(f"SSIM needs an image at least {SSIM_WINDOW} px on each side")
        self._planes = planes
        self._sum = _window_sums(planes)
        self._sum_sq = _window_sums(planes * planes)

    def score(self, pixels: NDArray[np.uint8]) -> float:
        """Mean SSIM of ``pixels`` (the source's shape) against the source."""
        other = _planes(pixels)
        if other.shape != self._planes.shape:
            raise ValueError(f"shape {other.shape} differs from the source's {self._planes.shape}")
        n = SSIM_WINDOW * SSIM_WINDOW
        sum_x, sum_y = self._sum, _window_sums(other)
        sum_sq = self._sum_sq + _window_sums(other * other)
        sum_xy = _window_sums(self._planes * other)
        # SSIM = (2μxμy + C1)/(μx² + μy² + C1) · (2σxy + C2)/(σx² + σy² + C2) with scikit-image's
        # sample (co)variances σxy = (Σxy − ΣxΣy/n)/(n − 1). Scaled by n² (first factor) and
        # n(n − 1) (second), everything but the constants is an integer that fits in int32, so
        # it is exact; only the two divisions are floating point — float32, whose 6e-8 relative
        # error is far below any difference a quality decision turns on, at half the cost.
        product = sum_x * sum_y
        squares = sum_x * sum_x + sum_y * sum_y
        c1, c2 = np.float32(_C1 * n * n), np.float32(_C2 * n * (n - 1))
        luminance = (2 * product).astype(np.float32) + c1
        luminance /= squares.astype(np.float32) + c1
        structure = (2 * (n * sum_xy - product)).astype(np.float32) + c2
        structure /= (n * sum_sq - squares).astype(np.float32) + c2
        # Every channel has as many windows as the others: the mean of all is the channel mean.
        return float(np.mean(luminance * structure, dtype=np.float64))


def ssim(source: NDArray[np.uint8], candidate: NDArray[np.uint8]) -> float:
    """Mean SSIM of two 8-bit images of the same shape: H×W, or H×W×C averaged over channels."""
    return SsimReference(source).score(candidate)


def _planes(pixels: NDArray[np.uint8]) -> _Planes:
    """Channels first, contiguous, int32: every window sum below is then an exact integer.

    The largest intermediate, n·(Σx² + Σy²) over a 7×7 window of 8-bit values, is 3.1e8, so
    int32 holds it at any image size: window sums never run along a whole row.
    """
    if pixels.dtype != np.uint8:
        raise ValueError("SSIM here is defined for 8-bit images")
    if pixels.ndim == 2:
        return pixels[np.newaxis].astype(np.int32)
    if pixels.ndim == 3:
        return np.ascontiguousarray(pixels.transpose(2, 0, 1), dtype=np.int32)
    raise ValueError("expected an H×W or H×W×C array")


def _window_sums(planes: _Planes) -> _Planes:
    """The sum over every 7×7 window lying wholly inside each plane (a 'valid' box filter).

    Separable, and by doubling along each axis — pairs, fours, then 4 + 2 + 1 — three
    vectorised additions per axis; numpy's cumsum along rows is several times slower here.
    """
    return _sums_of_seven(_sums_of_seven(planes, axis=1), axis=2)


def _sums_of_seven(values: _Planes, axis: int) -> _Planes:
    def span(start: int, stop: int) -> tuple[slice, ...]:
        return (slice(None),) * axis + (slice(start, stop),)

    length = values.shape[axis]
    pairs = values[span(0, length - 1)] + values[span(1, length)]
    fours = pairs[span(0, length - 3)] + pairs[span(2, length - 1)]
    sevens: _Planes = fours[span(0, length - 6)] + pairs[span(4, length - 2)]
    sevens += values[span(6, length)]
    return sevens
