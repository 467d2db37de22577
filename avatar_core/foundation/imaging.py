"""Every image that enters or leaves the product passes through here.

Uploads and provider answers are untrusted bytes: we decode them for real (never trusting an
extension or a content type), refuse anything too big *before* its pixels are decoded, and
re-encode what we keep as a plain 8-bit PNG — upright, sRGB-ish, with no metadata — so that the
rest of the code (and the browser) only ever sees four well-understood formats.

Decoding order, and why:

1. size in bytes, then magic bytes — cheap, and lets us name the problem precisely;
2. the plugin parses the header only (Pillow is lazy), we check width × height against our limit;
3. only then ``load()`` decodes the pixels; truncation and corruption surface here.

We construct Pillow's plugin classes directly instead of calling ``Image.open``: ``Image.open``
runs Pillow's own decompression-bomb check, which emits a process-wide ``warnings.warn`` for images
between 89 and 179 megapixels before we get a chance to refuse them with a clear message. Our limit
is stricter, and it runs first. For WebP we read the canvas size from the header ourselves, because
libwebp allocates the whole canvas as soon as its decoder is created.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from PIL import (
    GifImagePlugin,
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from .errors import FailureReason, GenerationError, InvalidInput
from .image_formats import (
    ACCEPTED_MIME_TYPES,
    ACCEPTED_NAMES,
    sniff_mime,
    unaccepted_message,
    webp_canvas_size,
)
from .limits import INLINE_IMAGE_MAX_BYTES, MAX_PIXELS, MAX_UPLOAD_BYTES, REFERENCE_MAX_SIDE
from .webp import DISPLAY_TARGET_SSIM, Effort, EffortName, encode_at_target, encode_webp

__all__ = [
    "ACCEPTED_MIME_TYPES",
    "DECODE_SLOTS",
    "DISPLAY_MAX_SIDE",
    "DISPLAY_TARGET_SSIM",
    "MAX_PIXELS",
    "MAX_UPLOAD_BYTES",
    "PROVIDER_MAX_BYTES",
    "PROVIDER_MAX_PIXELS",
    "Effort",
    "decode_provider_image",
    "decode_stored",
    "image_size",
    "inline_reference",
    "preview_png",
    "provider_outputs",
    "provider_reference",
    "quick_display_webp",
    "sniff_mime",
    "to_display_webp",
    "validate_upload",
]

PROVIDER_MAX_BYTES = 64 * 1024 * 1024
"""Generous cap for what a provider returns; a 4K PNG is well below it."""

PROVIDER_MAX_PIXELS = 64_000_000
"""Generous pixel cap for provider images and our own stored files.

Kept below Pillow's default ``MAX_IMAGE_PIXELS`` (~89 MP) so nothing we accept ever trips
Pillow's own bomb warning further down the line.
"""

DISPLAY_MAX_SIDE = 512
"""Display images are at most this many pixels on their longest side (DESIGN: Display images)."""

_OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    "image/png": PngImagePlugin.PngImageFile,
    "image/jpeg": JpegImagePlugin.JpegImageFile,
    "image/gif": GifImagePlugin.GifImageFile,
    "image/webp": WebPImagePlugin.WebPImageFile,
}

LARGE_DECODE_PIXELS = 4_000_000
DECODE_SLOTS = threading.BoundedSemaphore(2)
"""Decodes of images over ``LARGE_DECODE_PIXELS`` run at most two at a time: a 40 MP photo
takes 160 MB decoded, and nothing else bounds how many uploads arrive at once."""
QUICK_QUALITY, QUICK_METHOD = 80, 2



def validate_upload(
    data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS,
    max_side: int = REFERENCE_MAX_SIDE,
) -> bytes:
    """Decode an uploaded image for real and return it as normalised PNG bytes.

    Accepts PNG, JPEG (CMYK too), WebP and GIF (the first frame of an animation), whatever
    their bit depth, palette or transparency; the result is an upright 8-bit RGB or RGBA PNG
    with no metadata, at most ``max_side`` on its longest side (a phone photo is scaled down
    at intake, so it is stored, sent inline and served at that size). Anything else raises
    ``InvalidInput`` with a message saying what is wrong.
    """
    image = _decode(data, max_bytes=max_bytes, max_pixels=max_pixels, max_side=max_side)
    return _encode_png(image)


def inline_reference(data: bytes) -> bytes:
    """A reference image as it may travel inline to the provider: at most
    ``REFERENCE_MAX_SIDE`` and ``INLINE_IMAGE_MAX_BYTES`` (lossy WebP when a PNG is over it).
    Images already within both go byte for byte (references stored before intake scaling
    did not)."""
    with _open_lazily(data, max_pixels=PROVIDER_MAX_PIXELS) as image:
        fits = max(image.size) <= REFERENCE_MAX_SIDE
    if fits and len(data) <= INLINE_IMAGE_MAX_BYTES:
        return data
    decoded = _decode(data, max_bytes=PROVIDER_MAX_BYTES, max_pixels=PROVIDER_MAX_PIXELS,
                      max_side=REFERENCE_MAX_SIDE)
    png = _encode_png(decoded)
    if len(png) <= INLINE_IMAGE_MAX_BYTES:
        return png
    out = io.BytesIO()
    decoded.save(out, format="WEBP", quality=90)
    return out.getvalue()


def decode_provider_image(data: bytes) -> bytes:
    """Check what a provider returned and normalise it into the full-quality reference PNG.

    A provider answering with bytes we cannot decode is the provider's fault, not the user's,
    so this reports ``upstream_error`` (retryable) rather than ``invalid_input``.
    """
    return _encode_png(_decode_provider(data))


def provider_outputs(
    data: bytes,
    max_side: int = DISPLAY_MAX_SIDE,
    *,
    effort: Effort | EffortName = Effort.INTERACTIVE,
) -> tuple[bytes, bytes]:
    """(reference PNG, display WebP) from a provider's answer, decoding it only once.

    A provider's 8-bit RGB(A) PNG is kept byte for byte as the reference (full quality, and no
    second encode on the hot path); anything else is normalised like ``decode_provider_image``.
    The display image is made as by ``to_display_webp``.
    """
    image = _decode_provider(data)
    as_is = data.startswith(b"\x89PNG\r\n\x1a\n") and image.mode in ("RGB", "RGBA")
    reference = data if as_is else _encode_png(image)
    return reference, _encode_webp(image.copy(), max_side, Effort(effort))


def provider_reference(data: bytes) -> tuple[bytes, Image.Image]:
    """(reference PNG, decoded image) of a provider's answer, with no WebP encode: what is kept
    the moment a provider delivers (its 8-bit PNG byte for byte)."""
    image = _decode_provider(data)
    as_is = data.startswith(b"\x89PNG\r\n\x1a\n") and image.mode in ("RGB", "RGBA")
    return (data if as_is else _encode_png(image)), image


def quick_display_webp(image: Image.Image, max_side: int = DISPLAY_MAX_SIDE) -> bytes:
    """A display WebP in one encode (no search): shown at once, replaced by the searched one
    in the background. Quality 80 meets the SSIM target on every image ``bench/webp.py`` has."""
    image = image.copy()
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return encode_webp(image, QUICK_QUALITY, QUICK_METHOD)


def decode_stored(data: bytes) -> Image.Image:
    """One of our own stored images, decoded (with the same caps as a provider's)."""
    return _decode(data, max_bytes=PROVIDER_MAX_BYTES, max_pixels=PROVIDER_MAX_PIXELS)


def to_display_webp(
    data: bytes,
    max_side: int = DISPLAY_MAX_SIDE,
    *,
    effort: Effort | EffortName = Effort.INTERACTIVE,
) -> bytes:
    """Shrink any decodable image to a WebP of at most ``max_side`` on its longest side.

    Display images are what browsers fetch over and over, so they are small and lossy: the
    lowest quality whose luma SSIM against the shrunk image reaches ``DISPLAY_TARGET_SSIM``.
    ``effort`` is who waits: "background" (nobody: emotion variants, bulk defaults) buys files
    a few per cent smaller with about twice the encoder time. Alpha is kept because avatars
    may be cut out. Never upscales: a small image stays small. The output is a pure function
    of the input and the arguments (no metadata, a deterministic search).
    """
    if max_side < 1:
        raise ValueError("max_side must be positive")
    image = _decode(data, max_bytes=PROVIDER_MAX_BYTES, max_pixels=PROVIDER_MAX_PIXELS)
    return _encode_webp(image, max_side, Effort(effort))


def _decode_provider(data: bytes) -> Image.Image:
    try:
        return _decode(data, max_bytes=PROVIDER_MAX_BYTES, max_pixels=PROVIDER_MAX_PIXELS)
    except InvalidInput as exc:
        raise GenerationError(
            FailureReason.UPSTREAM_ERROR, "The provider returned an image that could not be decoded"
        ) from exc


def _encode_webp(image: Image.Image, max_side: int, effort: Effort) -> bytes:
    """Shrink in place (reduce() first, then LANCZOS: fast and sharp), then encode at the target."""
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return encode_at_target(image, target=DISPLAY_TARGET_SSIM, effort=effort).data


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from the header, without decoding the pixels.

    This is the size as stored; EXIF orientation is not applied (our own PNG and WebP files
    never carry any). Raises ``InvalidInput`` if the bytes are not one of the accepted formats.
    """
    with _open_lazily(data, max_pixels=None) as image:
        return image.size


def preview_png(data: bytes, max_side: int = 320) -> bytes:
    """A small PNG of an already-validated image, for showing an upload before it is used."""
    image = _decode(data, max_bytes=PROVIDER_MAX_BYTES, max_pixels=PROVIDER_MAX_PIXELS)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return _encode_png(image)


# --- decoding -------------------------------------------------------------------------------


def _decode(data: bytes, *, max_bytes: int, max_pixels: int,
            max_side: int | None = None) -> Image.Image:
    """Validate and fully decode ``data`` into an upright RGB or RGBA image with no metadata
    (shrunk to ``max_side`` while its decode slot is held, when given)."""
    if not data:
        raise InvalidInput("The file is empty")
    if len(data) > max_bytes:
        raise InvalidInput(
            f"The file is {_megabytes(len(data))} MB; the limit is {_megabytes(max_bytes)} MB"
        )
    with _open_lazily(data, max_pixels=max_pixels) as image, _decode_slot(image.size):
        try:
            image.load()  # GIF, APNG and animated WebP load their first frame
            upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(image.size, max_pixels) from exc
        except Exception as exc:  # hostile input makes Pillow raise a zoo of exception types
            raise InvalidInput(
                "The image is truncated or corrupt and could not be decoded"
            ) from exc
        normal = _normalise(upright)
        if max_side is not None and max(normal.size) > max_side:
            normal.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return normal


def _decode_slot(size: tuple[int, int]) -> threading.BoundedSemaphore | nullcontext[None]:
    return DECODE_SLOTS if size[0] * size[1] > LARGE_DECODE_PIXELS else nullcontext()


@contextmanager
def _open_lazily(data: bytes, *, max_pixels: int | None) -> Iterator[ImageFile.ImageFile]:
    """Parse the header of ``data`` with the plugin its magic bytes name; close it afterwards.

    No pixels are decoded here, so the size check costs nothing however big the image claims
    to be.
    """
    mime = sniff_mime(data)
    opener = _OPENERS.get(mime)
    if opener is None:
        raise InvalidInput(unaccepted_message(data))
    if mime == "image/webp" and max_pixels is not None:
        canvas = webp_canvas_size(data)
        if canvas is not None and canvas[0] * canvas[1] > max_pixels:
            raise _too_many_pixels(canvas, max_pixels)
    try:
        image = opener(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        limit = _megapixels(max_pixels if max_pixels is not None else MAX_PIXELS)
        raise InvalidInput(
            f"The image is too large to decode safely (over {limit} megapixels)"
        ) from exc
    except Exception as exc:  # header parsing of hostile input: the same zoo as in _decode
        raise InvalidInput(
            f"The file is not a valid {ACCEPTED_NAMES} image (truncated or corrupt header)"
        ) from exc
    try:
        width, height = image.size
        if max_pixels is not None and width * height > max_pixels:
            raise _too_many_pixels(image.size, max_pixels)
        yield image
    finally:
        image.close()


def _normalise(image: Image.Image) -> Image.Image:
    """Any decoded mode → 8-bit RGB, or RGBA when some pixel is actually transparent."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit greyscale: scale 0–65535 down to 0–255; convert("L") would clip to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    image = _to_srgb(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode in ("P", "L", "RGB", "1") and image.has_transparency_data
    )
    if has_alpha:
        image = image.convert("RGBA")
        alpha_low = image.getchannel("A").getextrema()[0]
        if alpha_low == 255:  # an alpha channel with nothing transparent is just weight
            image = image.convert("RGB")
    else:
        image = image.convert("RGB")
    image.info.clear()  # no EXIF, ICC, text chunks or transparency keys travel onwards
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded ICC profile so CMYK and wide-gamut photos keep their colours.

    Best effort: a broken or unusual profile falls back to Pillow's plain conversion, which is
    what every browser without colour management would show anyway.
    """
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    try:
        converted = ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            ImageCms.createProfile("sRGB"),
            outputMode=output_mode,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image


def _encode_png(image: Image.Image) -> bytes:
    """PNG without timestamps or metadata, so equal pixels give equal bytes."""
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


# --- messages -------------------------------------------------------------------------------


def _too_many_pixels(size: tuple[int, int], max_pixels: int | None) -> InvalidInput:
    width, height = size
    limit = _megapixels(max_pixels if max_pixels is not None else MAX_PIXELS)
    return InvalidInput(
        f"The image is {width}×{height} ({_megapixels(width * height)} megapixels); "
        f"the limit is {limit} megapixels"
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f}".removesuffix(".0")
