"""The perceptual WebP encoder and its SSIM, on real encodes of images built here.

Agreement with scikit-image on photographs is shown by ``bench/webp.py``; the product and these
tests do not depend on scikit-image, so the reference values below are worked out by hand.
"""

from __future__ import annotations

import io
import itertools
import math

import corpus
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from avatar_core.foundation import webp
from avatar_core.foundation.imaging import (
    DISPLAY_MAX_SIDE,
    DISPLAY_TARGET_SSIM,
    provider_outputs,
    to_display_webp,
)
from avatar_core.foundation.models import Emotion
from avatar_core.foundation.ssim import ssim
from avatar_core.providers.base import ImageRequest
from avatar_core.providers.builtin import BuiltinProvider

C1 = (0.01 * 255) ** 2  # 6.5025
C2 = (0.03 * 255) ** 2  # 58.5225


def _photo_like(side: int = 256, seed: int = 3) -> Image.Image:
    """Smooth shading, hard edges and fine texture: lands mid-range on the quality scale."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side] / side
    base = np.stack([200 * x + 30, 150 * y + 50, 120 * (1 - x * y) + 40], axis=2)
    base[side // 4 : side // 2, side // 4 : 3 * side // 4] = (220, 60, 40)
    texture = rng.normal(0, 10, (side, side, 3)) * (x > 0.5)[..., None]
    image = Image.fromarray(np.clip(base + texture, 0, 255).astype(np.uint8), "RGB")
    return image.filter(ImageFilter.GaussianBlur(1.0))  # grain, not pixel noise


def _face(size: int = 256) -> Image.Image:
    request = ImageRequest(kind="emotion", agent_name="build-bot", identity_prompt="a robot",
                           prompt="a robot", seed=1, emotion=Emotion.HAPPY)
    image = Image.open(io.BytesIO(BuiltinProvider().generate(request).data)).convert("RGB")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    return image


def _score_at(image: Image.Image, quality: int, method: int) -> float:
    with Image.open(io.BytesIO(webp.encode_webp(image, quality, method))) as decoded:
        return ssim(webp.viewed_luma(image), webp.viewed_luma(decoded))


def _pixels(data: bytes) -> NDArray[np.uint8]:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


# --- SSIM -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7, 7), (40, 33), (64, 64, 3), (9, 12, 4)])
def test_ssim_of_an_image_with_itself_is_one(shape: tuple[int, ...]) -> None:
    image = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    assert ssim(image, image) == 1.0
    flat = np.full(shape, 77, dtype=np.uint8)
    assert ssim(flat, flat) == 1.0


def test_ssim_drops_monotonically_with_added_noise() -> None:
    image = np.asarray(_photo_like(128))
    noise = np.random.default_rng(5).normal(0, 1, image.shape)
    scores = [ssim(image, np.clip(image + amplitude * noise, 0, 255).astype(np.uint8))
              for amplitude in (0, 2, 5, 10, 20, 40, 80)]
    assert scores[0] == 1.0
    assert all(later < earlier for earlier, later in itertools.pairwise(scores))
    assert scores[-1] < 0.5


def test_ssim_agrees_with_hand_worked_values_on_one_window() -> None:
    # One 7×7 window, so SSIM is a single term.
    # Flat 100 against flat 110: no variance, only the luminance term,
    # (2·100·110 + C1) / (100² + 110² + C1).
    flat_100, flat_110 = np.full((7, 7), 100, np.uint8), np.full((7, 7), 110, np.uint8)
    assert ssim(flat_100, flat_110) == pytest.approx(
        (22000 + C1) / (22100 + C1), abs=1e-7)
    # One pixel of 49 among zeros against flat 1: equal means (luminance term 1); sample
    # variance (49² − 49²/49) / 48 = 49 against 0, no covariance: C2 / (49 + C2) = 0.54428.
    spike = np.zeros((7, 7), np.uint8)
    spike[3, 3] = 49
    ones = np.ones((7, 7), np.uint8)
    assert ssim(spike, ones) == pytest.approx(C2 / (49 + C2), abs=1e-7)
    # Per channel and averaged: the two cases side by side as two channels.
    both = np.stack([flat_100, spike], axis=2), np.stack([flat_110, ones], axis=2)
    assert ssim(*both) == pytest.approx(
        ((22000 + C1) / (22100 + C1) + C2 / (49 + C2)) / 2, abs=1e-7)


def test_ssim_refuses_what_it_cannot_measure() -> None:
    with pytest.raises(ValueError, match="at least 7 px"):
        ssim(np.zeros((6, 30), np.uint8), np.zeros((6, 30), np.uint8))
    with pytest.raises(ValueError, match="differs"):
        ssim(np.zeros((8, 8), np.uint8), np.zeros((8, 9), np.uint8))
    with pytest.raises(ValueError, match="8-bit"):
        ssim(np.zeros((8, 8)), np.zeros((8, 8)))


def test_hidden_colour_under_full_transparency_does_not_count() -> None:
    image = np.zeros((16, 16, 4), np.uint8)
    image[..., 3] = 255
    image[:, :8, 3] = 0  # left half fully transparent
    other = image.copy()
    other[:, :8, :3] = 250  # different colour where nobody can see it
    seen = [webp.viewed_pixels(Image.fromarray(pixels, "RGBA")) for pixels in (image, other)]
    assert ssim(*seen) == 1.0


# --- the search -----------------------------------------------------------------------------


def _curves() -> list[list[float]]:
    """Score curves over quality 0–100: smooth, bent, flat-topped and noisy (non-monotonic)."""
    rng = np.random.default_rng(11)
    curves = [[0.80 + 0.0019 * q for q in range(101)],
              [1 - 0.2 * math.exp(-q / 30) for q in range(101)],
              [0.9 + 0.001 * min(q, 60) for q in range(101)]]
    for _ in range(40):
        start, slope = rng.uniform(0.8, 0.95), rng.uniform(0.0003, 0.003)
        curves.append([start + slope * q + rng.normal(0, 0.0015) for q in range(101)])
    return curves


@pytest.mark.parametrize("target", [0.90, 0.95, 0.97, 0.99])
def test_search_returns_a_quality_that_meets_the_target_above_one_that_does_not(
    target: float,
) -> None:
    floor, ceiling = 30, 100
    for curve in _curves():
        probed: list[int] = []

        def measure(quality: int, curve: list[float] = curve, probed: list[int] = probed) -> float:
            probed.append(quality)
            return curve[quality]

        quality = webp.lowest_passing(measure, target=target, floor=floor, ceiling=ceiling)
        assert floor <= quality <= ceiling
        assert curve[quality] >= target or quality == ceiling
        assert quality == floor or curve[quality - 1] < target
        assert quality == floor or quality - 1 in probed  # known, not assumed
        assert len(probed) == len(set(probed))  # nothing encoded twice
        # Bisection alone would need 7 probes over 71 qualities; we allow twice that.
        assert len(probed) <= 14


def test_search_settles_typical_photographs_in_a_few_probes() -> None:
    image = _photo_like()
    result = webp.encode_at_target(image, target=DISPLAY_TARGET_SSIM)
    assert result.probes <= 6


# --- encoding at a target -------------------------------------------------------------------


# The synthetic photograph reaches 0.95 at the floor under luma SSIM; stricter targets make the
# search do real work above it.
@pytest.mark.parametrize("target", [0.98, 0.99])
@pytest.mark.parametrize("effort", list(webp.Effort))
def test_chosen_quality_is_the_lowest_that_meets_the_target(
    target: float, effort: webp.Effort
) -> None:
    image = _photo_like()
    result = webp.encode_at_target(image, target=target, effort=effort)
    method = webp.WEBP_METHOD[effort]
    assert webp.QUALITY_FLOOR < result.quality < webp.QUALITY_CEILING  # a real search
    assert result.data == webp.encode_webp(image, result.quality, method)
    assert result.ssim is not None and result.ssim >= target
    assert result.ssim == _score_at(image, result.quality, method)
    assert _score_at(image, result.quality - 1, method) < target


def test_an_easy_image_stops_at_the_floor_and_a_hopeless_one_at_the_ceiling() -> None:
    flat = Image.new("RGB", (64, 64), (40, 50, 60))
    assert webp.encode_at_target(flat, target=0.95).quality == webp.QUALITY_FLOOR
    noise = Image.open(io.BytesIO(corpus.noise_png(64, 64)))
    hopeless = webp.encode_at_target(noise, target=0.9999)
    assert hopeless.quality == webp.QUALITY_CEILING
    assert hopeless.ssim is not None and hopeless.ssim < 0.9999


def test_an_image_smaller_than_the_window_is_encoded_unmeasured() -> None:
    tiny = Image.new("RGB", (5, 3), (200, 10, 10))
    result = webp.encode_at_target(tiny, target=0.95)
    assert (result.quality, result.ssim) == (webp.QUALITY_CEILING, None)
    assert Image.open(io.BytesIO(to_display_webp(corpus.png(5, 3)))).size == (5, 3)


def test_encoding_refuses_a_bad_quality_range() -> None:
    with pytest.raises(ValueError, match="floor"):
        webp.encode_at_target(_photo_like(32), target=0.95, floor=90, ceiling=80)


# --- the display image ----------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_display_image_is_a_pure_function_of_its_input() -> None:
    data = _png(_photo_like(700))
    for effort in webp.Effort:
        assert to_display_webp(data, effort=effort) == to_display_webp(data, effort=effort)
        assert provider_outputs(data, effort=effort) == provider_outputs(data, effort=effort)
    assert provider_outputs(data)[1] == to_display_webp(data)


def test_background_effort_is_libwebp_method_6_at_its_own_lowest_quality() -> None:
    source = _photo_like(600)
    shrunk = source.copy()
    shrunk.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
    background = webp.encode_at_target(shrunk, target=DISPLAY_TARGET_SSIM,
                                       effort=webp.Effort.BACKGROUND)
    assert webp.WEBP_METHOD[webp.Effort.BACKGROUND] == 6
    assert to_display_webp(_png(source), effort="background") == background.data
    assert background.data == webp.encode_webp(shrunk, background.quality, 6)


def test_a_2000_px_input_comes_out_at_most_512_px() -> None:
    for effort in webp.Effort:
        display = to_display_webp(_png(_photo_like(2000)), effort=effort)
        with Image.open(io.BytesIO(display)) as image:
            assert image.size == (DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE)
    with Image.open(io.BytesIO(to_display_webp(corpus.png(2000, 1000)))) as image:
        assert image.size == (DISPLAY_MAX_SIDE, 256)


def test_alpha_survives_exactly() -> None:
    art = np.asarray(_face(300).convert("RGBA")).copy()
    y, x = np.mgrid[0:300, 0:300]
    art[..., 3] = np.where((x - 150) ** 2 + (y - 150) ** 2 < 140**2, 255, 0)  # a round cut-out
    art[(x < 20) & (y < 20), 3] = 128  # and a half-transparent corner
    source = Image.fromarray(art, "RGBA")
    for effort in webp.Effort:
        decoded = _pixels(to_display_webp(_png(source), effort=effort))
        assert (decoded[..., 3] == art[..., 3]).all()  # alpha is stored losslessly
        assert decoded[5, 5, 3] == 128 and decoded[0, 299, 3] == 0


def test_built_in_faces_reach_the_target_at_the_floor() -> None:
    face = _face()
    result = webp.encode_at_target(face, target=DISPLAY_TARGET_SSIM)
    assert result.quality == webp.QUALITY_FLOOR  # flat art: luma SSIM passes at any quality
    assert result.ssim is not None and result.ssim >= DISPLAY_TARGET_SSIM
    assert to_display_webp(_png(face)) == result.data


def test_the_floor_keeps_colour_that_luma_ssim_cannot_see() -> None:
    # A fine red-on-blue pattern: luma barely changes, colour is what it is made of.
    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[..., 2] = 160
    stripes[::2, :, 0], stripes[::2, :, 2] = 200, 40
    image = Image.fromarray(stripes, "RGB")
    result = webp.encode_at_target(image, target=DISPLAY_TARGET_SSIM)
    assert result.quality >= webp.QUALITY_FLOOR == 50


def test_the_first_guess_changes_the_cost_of_a_search_not_its_promise() -> None:
    image = _photo_like()
    for first_guess in (51, 55, 78, 99):
        result = webp.encode_at_target(image, target=0.99, first_guess=first_guess)
        assert result.ssim is not None and result.ssim >= 0.99
        method = webp.WEBP_METHOD[webp.Effort.INTERACTIVE]
        assert _score_at(image, result.quality - 1, method) < 0.99
