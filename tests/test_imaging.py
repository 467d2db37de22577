"""Every file in the corpus goes through the real decoder: accepted ones come out as upright 8-bit
PNG, refused ones say why. No mocks: the bytes are built by ``tests/corpus.py``."""

from __future__ import annotations

import io
import resource
import warnings
from collections.abc import Callable

import corpus
import pytest
from PIL import Image, ImageFile

from avatar_core.foundation.colours import palette
from avatar_core.foundation.errors import FailureReason, GenerationError, InvalidInput
from avatar_core.foundation.imaging import (
    DISPLAY_MAX_SIDE,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    PROVIDER_MAX_PIXELS,
    decode_provider_image,
    image_size,
    sniff_mime,
    to_display_webp,
    validate_upload,
)


def _open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.mode in ("RGB", "RGBA")  # 8 bits per channel, nothing else
    image.load()
    return image


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# --- accepted -------------------------------------------------------------------------------

ACCEPTED: list[tuple[str, Callable[[], bytes], tuple[int, int], str]] = [
    ("png", corpus.png, (64, 64), "RGB"),
    ("rgba png", lambda: corpus.png(40, 30, (10, 20, 30, 100)), (40, 30), "RGBA"),
    ("jpeg", corpus.jpeg, (64, 64), "RGB"),
    ("webp with alpha", corpus.webp, (64, 64), "RGBA"),
    ("animated gif", corpus.animated_gif, (32, 32), "RGB"),
    ("cmyk jpeg", corpus.cmyk_jpeg, (64, 64), "RGB"),
    ("16-bit png", corpus.png16, (256, 8), "RGB"),
    ("exif rotated jpeg", corpus.exif_rotated_jpeg, (100, 200), "RGB"),
    ("palette png with tRNS", corpus.palette_png_with_transparency, (64, 64), "RGBA"),
    ("greyscale + alpha png", corpus.la_png, (64, 64), "RGBA"),
]


@pytest.mark.parametrize(
    ("build", "size", "mode"), [case[1:] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED]
)
def test_accepted_uploads_become_upright_8bit_png(
    build: Callable[[], bytes], size: tuple[int, int], mode: str
) -> None:
    image = _open_png(validate_upload(build()))
    assert image.size == size
    assert image.mode == mode
    assert not image.info.get("exif") and "icc_profile" not in image.info


def test_exif_orientation_is_applied() -> None:
    image = _open_png(validate_upload(corpus.exif_rotated_jpeg()))
    width, height = image.size
    assert (width, height) == (100, 200)
    # Orientation 6 turns the landscape original 90° clockwise: its top-left is now top-right.
    assert _close(image.getpixel((width - 5, 5)), corpus.EXIF_MARKER, 40)
    assert _close(image.getpixel((5, 5)), (0, 0, 255), 40)
    assert _close(image.getpixel((width - 5, height - 5)), (0, 0, 255), 40)


def test_16bit_png_is_scaled_not_clipped() -> None:
    image = _open_png(validate_upload(corpus.png16()))
    assert _close(image.getpixel((0, 4)), (0, 0, 0), 1)
    assert _close(image.getpixel((128, 4)), (128, 128, 128), 2)
    assert _close(image.getpixel((255, 4)), (255, 255, 255), 1)


def test_cmyk_jpeg_keeps_its_colour() -> None:
    image = _open_png(validate_upload(corpus.cmyk_jpeg()))
    assert _close(image.getpixel((32, 32)), (255, 0, 0), 30)


def test_animated_gif_keeps_the_first_frame() -> None:
    image = _open_png(validate_upload(corpus.animated_gif()))
    assert _close(image.getpixel((16, 16)), (255, 0, 0), 2)


def test_palette_transparency_becomes_alpha() -> None:
    image = _open_png(validate_upload(corpus.palette_png_with_transparency()))
    assert image.getpixel((5, 5))[3] == 0
    assert image.getpixel((60, 5)) == (0, 200, 0, 255)


def test_opaque_alpha_channel_is_dropped() -> None:
    image = _open_png(validate_upload(corpus.png(8, 8, (1, 2, 3, 255))))
    assert image.mode == "RGB"


def test_output_is_deterministic() -> None:
    data = corpus.exif_rotated_jpeg()
    assert validate_upload(data) == validate_upload(data)


def test_a_normalised_png_round_trips_unchanged() -> None:
    once = validate_upload(corpus.noise_png(64, 64))
    assert validate_upload(once) == once


# --- refused --------------------------------------------------------------------------------

REFUSED: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty", corpus.empty, "empty"),
    ("text", corpus.non_image, "not a PNG, JPEG, WebP or GIF image"),
    ("svg", corpus.svg, "not a PNG, JPEG, WebP or GIF image"),
    ("pdf", corpus.pdf, "not a PNG, JPEG, WebP or GIF image"),
    ("bmp", corpus.bmp, "BMP images are not accepted"),
    ("tiff", corpus.tiff, "TIFF images are not accepted"),
    ("truncated png", corpus.truncated_png, "truncated or corrupt"),
    ("truncated jpeg", corpus.truncated_jpeg, "truncated or corrupt"),
    ("header only", lambda: corpus.png()[:20], "truncated or corrupt"),
    ("oversized", corpus.oversized, "12 MB; the limit is 10 MB"),
    ("png bomb", corpus.decompression_bomb, "400 megapixels"),
    ("webp bomb", corpus.webp_bomb, "100 megapixels"),
    ("gif frame bomb", corpus.gif_frame_bomb, "megapixels"),
]


@pytest.mark.parametrize(
    ("build", "words"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED]
)
def test_refused_uploads_say_why(build: Callable[[], bytes], words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_upload(build())
    assert caught.value.reason is FailureReason.INVALID_INPUT
    assert caught.value.status == 400
    assert words in caught.value.detail


def test_oversized_file_is_a_valid_png_refused_only_for_its_size() -> None:
    data = corpus.oversized()
    assert len(data) > MAX_UPLOAD_BYTES
    assert _open_png(validate_upload(data, max_bytes=len(data))).size == (8, 8)


def test_limits_are_parameters() -> None:
    data = corpus.png(100, 100)
    with pytest.raises(InvalidInput, match="megapixels"):
        validate_upload(data, max_pixels=9_999)
    with pytest.raises(InvalidInput, match="MB"):
        validate_upload(data, max_bytes=len(data) - 1)
    assert validate_upload(data, max_pixels=10_000, max_bytes=len(data))


def test_bomb_is_refused_from_its_header_without_decoding_pixels() -> None:
    bomb = corpus.decompression_bomb()
    assert len(bomb) < 200_000
    assert image_size(bomb) == (corpus.BOMB_SIDE, corpus.BOMB_SIDE)
    assert corpus.BOMB_SIDE**2 > MAX_PIXELS
    before = _peak_rss_mb()
    with pytest.raises(InvalidInput, match="megapixels"):
        validate_upload(bomb)
    # Decoding would need 400 MB (1 byte per pixel); the peak must not move anywhere near that.
    assert _peak_rss_mb() - before < 100


def test_pillow_bomb_checks_never_leak() -> None:
    """Pillow's own DecompressionBombError/Warning come out as InvalidInput, with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for build in (corpus.decompression_bomb, corpus.gif_frame_bomb, corpus.webp_bomb):
            with pytest.raises(InvalidInput, match="megapixels"):
                validate_upload(build())


def test_truncated_images_stay_refused() -> None:
    with pytest.raises(InvalidInput):
        validate_upload(corpus.truncated_png())
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- display WebP ---------------------------------------------------------------------------


def _open_webp(data: bytes) -> Image.Image:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_display_webp_fits_the_longest_side() -> None:
    image = _open_webp(to_display_webp(corpus.png(1600, 900)))
    assert image.size == (DISPLAY_MAX_SIDE, 288)


def test_display_webp_never_upscales() -> None:
    assert _open_webp(to_display_webp(corpus.png(100, 50))).size == (100, 50)


def test_display_webp_respects_max_side() -> None:
    assert _open_webp(to_display_webp(corpus.png(300, 600), max_side=128)).size == (64, 128)


def test_display_webp_keeps_alpha() -> None:
    image = _open_webp(to_display_webp(validate_upload(corpus.palette_png_with_transparency())))
    assert image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] < 16
    assert image.getpixel((60, 5))[3] > 240


def test_display_webp_is_deterministic() -> None:
    data = corpus.noise_png(700, 700)
    assert to_display_webp(data) == to_display_webp(data)


def test_display_webp_refuses_garbage() -> None:
    with pytest.raises(InvalidInput):
        to_display_webp(corpus.non_image())


# --- provider images ------------------------------------------------------------------------


def test_provider_image_becomes_reference_png() -> None:
    image = _open_png(decode_provider_image(corpus.jpeg(1024, 1024)))
    assert image.size == (1024, 1024)


@pytest.mark.parametrize(
    "build", [corpus.non_image, corpus.empty, corpus.truncated_png, corpus.svg]
)
def test_undecodable_provider_image_is_an_upstream_error(build: Callable[[], bytes]) -> None:
    with pytest.raises(GenerationError) as caught:
        decode_provider_image(build())
    assert not isinstance(caught.value, InvalidInput)
    assert caught.value.reason is FailureReason.UPSTREAM_ERROR
    assert caught.value.detail == "The provider returned an image that could not be decoded"


def test_provider_limit_is_more_generous_than_uploads_but_still_a_limit() -> None:
    assert PROVIDER_MAX_PIXELS > MAX_PIXELS
    with pytest.raises(GenerationError) as caught:
        decode_provider_image(corpus.decompression_bomb())
    assert caught.value.reason is FailureReason.UPSTREAM_ERROR


# --- palette, size, mime --------------------------------------------------------------------


def test_palette_of_solid_red_is_red() -> None:
    colours = palette(corpus.png(64, 64, (220, 10, 10)))
    assert colours
    assert _close(colours[0], (220, 10, 10), 8)


def test_palette_orders_by_area_and_ignores_transparent_pixels() -> None:
    image = Image.new("RGBA", (100, 100), (0, 0, 255, 0))  # invisible blue background
    image.paste((250, 250, 0, 255), (0, 0, 50, 100))
    image.paste((0, 160, 0, 255), (50, 0, 70, 100))
    out = io.BytesIO()
    image.save(out, "PNG")
    colours = palette(out.getvalue(), count=3)
    assert _close(colours[0], (250, 250, 0), 8)
    assert _close(colours[1], (0, 160, 0), 8)
    assert not any(blue > 128 for _, _, blue in colours)
    assert palette(out.getvalue()) == colours  # deterministic


def test_palette_of_invisible_image_is_empty() -> None:
    assert palette(corpus.png(16, 16, (255, 255, 255, 0))) == []


def test_image_size_reads_the_header() -> None:
    assert image_size(corpus.png(33, 21)) == (33, 21)
    assert image_size(corpus.webp(17, 9)) == (17, 9)
    with pytest.raises(InvalidInput):
        image_size(corpus.svg())


@pytest.mark.parametrize(
    ("build", "mime"),
    [
        (corpus.png, "image/png"),
        (corpus.jpeg, "image/jpeg"),
        (corpus.cmyk_jpeg, "image/jpeg"),
        (corpus.animated_gif, "image/gif"),
        (corpus.webp, "image/webp"),
        (lambda: to_display_webp(corpus.png()), "image/webp"),
        (corpus.bmp, "application/octet-stream"),
        (corpus.svg, "application/octet-stream"),
        (corpus.empty, "application/octet-stream"),
    ],
)
def test_sniff_mime_reads_magic_bytes(build: Callable[[], bytes], mime: str) -> None:
    assert sniff_mime(build()) == mime
