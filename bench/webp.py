"""Display WebP at a perceptual target against the seed system's fixed recipe, in one run;
and AVIF (as the renditions make it) against our WebP at the same luma SSIM target.

    .venv/bin/pip install -e ".[bench]"     # scikit-image: the photographs and the SSIM check
    .venv/bin/python bench/webp.py

Photographs: scikit-image's sample images astronaut, chelsea, coffee and rocket, read from the
installed package's ``skimage/data`` (they ship in its wheel; nothing is downloaded). They are
smaller than a provider's 1024² answer, so each is centre-cropped to a square and resampled to
1024² (LANCZOS), saved as PNG — the bytes a provider would return — and sent through the
product's own path, ``imaging.provider_outputs``. The seed recipe is Pillow ``thumbnail`` 512
LANCZOS, WebP quality 85 method 4. Both are measured against the same 512 px resampled image.

Every byte count, quality and SSIM is deterministic; times are medians of a few repeats and
are also given as ratios to the seed recipe's encode time measured in the same run. SSIM is
the product's measure — on luma, as Wang et al. defined it — computed by scikit-image's
``structural_similarity`` (defaults, ``data_range=255``) on the grayscale images: the summary
lines use scikit-image's figure, and the largest difference from ours
(``avatar_core.foundation.ssim``) is printed so the reader can trust ours. Per-channel RGB SSIM
(``channel_axis=2``) is printed beside it ("rgb") for the reader who wants colour too.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

from avatar_core.foundation import imaging, renditions, webp  # noqa: E402
from avatar_core.foundation.models import Emotion  # noqa: E402
from avatar_core.foundation.ssim import ssim  # noqa: E402
from avatar_core.providers.base import ImageRequest  # noqa: E402
from avatar_core.providers.builtin import BuiltinProvider  # noqa: E402

try:
    from skimage.metrics import structural_similarity
except ImportError:  # the photographs and the reference SSIM both come from scikit-image
    sys.exit('bench/webp.py needs scikit-image: .venv/bin/pip install -e ".[bench]"')

T = TypeVar("T")

PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")
PROVIDER_SIDE = 1024
SEED_QUALITY, SEED_METHOD = 85, 4
REPEATS = 3
FACES = (("ada", None), ("build-bot", Emotion.HAPPY), ("zeta", Emotion.CURIOUS),
         ("ops", None), ("research-owl", Emotion.SURPRISED), ("writer", Emotion.AMUSED))


def main() -> None:
    largest_gap = 0.0
    print(f"photographs: {PROVIDER_SIDE}² PNG in, ≤{imaging.DISPLAY_MAX_SIDE} px WebP out; "
          f"seed = q{SEED_QUALITY} m{SEED_METHOD}; target SSIM {imaging.DISPLAY_TARGET_SSIM}")
    results: dict[webp.Effort, list[tuple[float, float]]] = {effort: [] for effort in webp.Effort}
    avif_ratios: list[float] = []
    for name in PHOTOS:
        provider_png = _provider_answer(name)
        small = _display_source(provider_png)
        seed_bytes, seed_ms = _timed(lambda small=small: webp.encode_webp(
            small, SEED_QUALITY, SEED_METHOD))
        seed_ssim, gap = _both_ssims(small, seed_bytes)
        largest_gap = max(largest_gap, gap)
        print(f"{name:14s} seed        {len(seed_bytes):6d} B  ssim {seed_ssim:.4f} "
              f"(rgb {_rgb_ssim(small, seed_bytes):.4f})  encode {seed_ms:6.1f} ms")
        for effort in webp.Effort:
            encoded, ms = _timed(lambda small=small, effort=effort: _encode(small, effort))
            (_, display), end_to_end_ms = _timed(lambda png=provider_png, effort=effort:
                                                 imaging.provider_outputs(png, effort=effort))
            assert display == encoded.data, "provider_outputs must give the encoder's bytes"
            score, gap = _both_ssims(small, encoded.data)
            largest_gap = max(largest_gap, gap)
            ratio = len(encoded.data) / len(seed_bytes)
            results[effort].append((ratio, score))
            print(f"{'':14s} {effort.value:11s} {len(encoded.data):6d} B  ssim {score:.4f} "
                  f"(rgb {_rgb_ssim(small, encoded.data):.4f})  "
                  f"q{encoded.quality:<3d} {encoded.probes} probes  bytes {ratio:.3f}×  "
                  f"encode {ms:6.1f} ms ({ms / seed_ms:.1f}× seed)  "
                  f"provider_outputs {end_to_end_ms:6.1f} ms")
        avif_ratios.append(_avif_row(small, encoded.data))  # vs the last effort: background
    for effort, rows in results.items():
        label = "webp" if effort is webp.Effort.INTERACTIVE else f"webp {effort.value}"
        print(f"{label}: median_ratio={statistics.median(r for r, _ in rows):.3f} "
              f"min_ssim={min(s for _, s in rows):.4f}")
    print(f"avif: median_ratio={statistics.median(avif_ratios):.3f} (vs our background WebP "
          f"at the same luma SSIM target)")
    print(f"ssim: ours vs scikit-image max |difference| = {largest_gap:.1e}; "
          f"time ratio ours/scikit-image = {_ssim_speed_ratio():.2f}")
    _builtin_faces()


def _avif_row(small: Image.Image, ours: bytes) -> float:
    """AVIF as the renditions make it, at the same target; its bytes over our WebP's."""
    start = time.perf_counter()
    avif = renditions.encode_avif(small.copy())
    ms = (time.perf_counter() - start) * 1000
    score, _ = _both_ssims(small, avif)
    ratio = len(avif) / len(ours)
    print(f"{'':14s} {'avif':11s} {len(avif):6d} B  ssim {score:.4f} "
          f"(rgb {_rgb_ssim(small, avif):.4f})  bytes {ratio:.3f}× our WebP  "
          f"encode {ms:6.1f} ms (speed {renditions.AVIF_SPEED})")
    return ratio


def _provider_answer(name: str) -> bytes:
    """A sample photograph as a provider would return it: a square 1024² PNG."""
    # Through the product's own decoder: rocket.jpg carries an Adobe RGB profile, which it
    # converts to sRGB (as it would for any upload or provider answer) and then drops.
    raw = (resources.files("skimage.data") / name).read_bytes()
    photo = Image.open(io.BytesIO(imaging.decode_provider_image(raw)))
    square = ImageOps.fit(photo, (PROVIDER_SIDE, PROVIDER_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, format="PNG")
    return out.getvalue()


def _display_source(png: bytes) -> Image.Image:
    """The 512 px resampled original both recipes are measured against (seed's thumbnail)."""
    image = Image.open(io.BytesIO(png))
    image.load()
    image.thumbnail((imaging.DISPLAY_MAX_SIDE, imaging.DISPLAY_MAX_SIDE),
                    Image.Resampling.LANCZOS)
    return image


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    """The result of ``work`` and its median wall time over REPEATS runs, in milliseconds."""
    times: list[float] = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    return result, statistics.median(times)


def _both_ssims(source: Image.Image, encoded: bytes) -> tuple[float, float]:
    """scikit-image's luma SSIM of ``encoded`` against ``source`` and its distance from ours."""
    with Image.open(io.BytesIO(encoded)) as decoded:
        candidate = webp.viewed_luma(decoded)
    reference = webp.viewed_luma(source)
    theirs = float(structural_similarity(reference, candidate, data_range=255))
    return theirs, abs(theirs - ssim(reference, candidate))


def _rgb_ssim(source: Image.Image, encoded: bytes) -> float:
    """Per-channel RGB SSIM, printed beside the luma figure."""
    with Image.open(io.BytesIO(encoded)) as decoded:
        candidate = webp.viewed_pixels(decoded)
    return float(structural_similarity(webp.viewed_pixels(source), candidate, channel_axis=2,
                                       data_range=255))


def _ssim_speed_ratio() -> float:
    rng = np.random.default_rng(0)
    side = imaging.DISPLAY_MAX_SIDE
    first = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    second = np.clip(first.astype(int) + rng.integers(-20, 21, first.shape), 0, 255)
    second = second.astype(np.uint8)
    _, ours = _timed(lambda: ssim(first, second))
    _, theirs = _timed(
        lambda: structural_similarity(first, second, channel_axis=2, data_range=255))
    return ours / theirs


def _encode(image: Image.Image, effort: webp.Effort) -> webp.TargetedWebp:
    """What ``imaging`` does, with the figures it does not return."""
    return webp.encode_at_target(image.copy(), target=imaging.DISPLAY_TARGET_SSIM,
                                 effort=effort)


def _builtin_faces() -> None:
    """The built-in renderer's flat art at the same target (it reaches it at the floor)."""
    print(f"builtin faces: {PROVIDER_SIDE}² PNG in, interactive effort, target "
          f"{imaging.DISPLAY_TARGET_SSIM}")
    ratios = []
    for seed, (agent, emotion) in enumerate(FACES):
        request = ImageRequest(
            kind="emotion" if emotion else "identity", agent_name=agent,
            identity_prompt="a helpful robot", prompt="a helpful robot", seed=seed,
            emotion=emotion)
        face_png = BuiltinProvider().generate(request).data
        small = _display_source(face_png)
        seed_bytes, seed_ms = _timed(lambda small=small: webp.encode_webp(
            small, SEED_QUALITY, SEED_METHOD))
        seed_ssim, _ = _both_ssims(small, seed_bytes)
        encoded, ms = _timed(lambda small=small: _encode(small, webp.Effort.INTERACTIVE))
        assert imaging.provider_outputs(face_png)[1] == encoded.data
        score, _ = _both_ssims(small, encoded.data)
        ratios.append(len(encoded.data) / len(seed_bytes))
        print(f"{agent:12s} seed {len(seed_bytes):6d} B ssim {seed_ssim:.4f} | "
              f"q{encoded.quality:<3d} {len(encoded.data):6d} B {ratios[-1]:.3f}× ssim {score:.4f} "
              f"(rgb {_rgb_ssim(small, encoded.data):.4f}) {encoded.probes}p {ms:5.1f} ms "
              f"({ms / seed_ms:.1f}× seed)")
    print(f"builtin: median_ratio={statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
