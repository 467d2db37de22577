"""Good, odd and hostile image files, built in memory so no binary fixture lives in git.

Plain functions returning bytes, with no pytest dependency, so the imaging tests and the API
tests share one corpus. Everything here is deterministic and fast (the 12 MB file and the
20000×20000 bomb each take well under a second).
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib

from PIL import Image

__all__ = [
    "BOMB_SIDE",
    "EXIF_MARKER",
    "animated_gif",
    "bmp",
    "cmyk_jpeg",
    "decompression_bomb",
    "empty",
    "exif_rotated_jpeg",
    "gif_frame_bomb",
    "jpeg",
    "la_png",
    "noise_png",
    "non_image",
    "oversized",
    "palette_png_with_transparency",
    "pdf",
    "png",
    "png16",
    "svg",
    "tiff",
    "truncated_jpeg",
    "truncated_png",
    "webp",
    "webp_bomb",
]

Colour = tuple[int, int, int] | tuple[int, int, int, int]

BOMB_SIDE = 20_000
EXIF_MARKER = (255, 0, 0)
_EXIF_ORIENTATION = 0x0112


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


# --- accepted ---------------------------------------------------------------------------------


def png(w: int = 64, h: int = 64, color: Colour = (200, 30, 30)) -> bytes:
    """A solid PNG; a 4-tuple colour makes an RGBA image."""
    mode = "RGBA" if len(color) == 4 else "RGB"
    return _save(Image.new(mode, (w, h), color), "PNG")


def agents_zip(count: int) -> bytes:
    """A zip of ``agents.csv`` naming ``agent-0`` … and one picture per agent."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        names = [f"agent-{n}" for n in range(count)]
        bundle.writestr("agents.csv", "name\n" + "\n".join(names) + "\n")
        for name in names:
            bundle.writestr(f"{name}.png", png(color=(10, 120, 90)))
    return buffer.getvalue()


def jpeg(w: int = 64, h: int = 64, color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A solid baseline JPEG."""
    return _save(Image.new("RGB", (w, h), color), "JPEG", quality=95)


def webp(w: int = 64, h: int = 64, color: Colour = (30, 200, 90, 128)) -> bytes:
    """A solid lossless WebP, translucent by default."""
    mode = "RGBA" if len(color) == 4 else "RGB"
    return _save(Image.new(mode, (w, h), color), "WEBP", lossless=True)


def noise_png(w: int = 256, h: int = 256, seed: int = 7) -> bytes:
    """Random RGB noise: incompressible, so the IDAT is large and easy to cut short."""
    pixels = random.Random(seed).randbytes(w * h * 3)
    return _save(Image.frombytes("RGB", (w, h), pixels), "PNG")


def animated_gif(w: int = 32, h: int = 32) -> bytes:
    """Three frames: red, green, blue. Only the first (red) should be kept."""
    frames = [Image.new("RGB", (w, h), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def cmyk_jpeg(w: int = 64, h: int = 64) -> bytes:
    """A CMYK JPEG of pure red (no cyan, full magenta and yellow, no black)."""
    return _save(Image.new("CMYK", (w, h), (0, 255, 255, 0)), "JPEG", quality=95)


def png16(w: int = 256, h: int = 8) -> bytes:
    """A 16-bit greyscale PNG (mode I;16): a left-to-right ramp from 0 to 65535.

    The middle column is 32896, which is mid-grey (128) once scaled to 8 bits; a naive
    conversion clips it to 255.
    """
    row = b"".join(struct.pack("<H", round(x * 65535 / (w - 1))) for x in range(w))
    return _save(Image.frombytes("I;16", (w, h), row * h), "PNG")


def exif_rotated_jpeg(w: int = 200, h: int = 100) -> bytes:
    """Landscape pixels with a red block top-left and EXIF Orientation=6 (rotate 90° clockwise).

    Displayed correctly it is portrait (h × w) with the red block in the top-right corner.
    """
    image = Image.new("RGB", (w, h), (0, 0, 255))
    image.paste(EXIF_MARKER, (0, 0, w // 5, h // 5))
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = 6
    return _save(image, "JPEG", quality=95, exif=exif.tobytes())


def palette_png_with_transparency(w: int = 64, h: int = 64) -> bytes:
    """A palette PNG whose left half is fully transparent (tRNS) and right half green."""
    image = Image.new("P", (w, h), 0)
    image.putpalette([0, 0, 0, 0, 200, 0] + [0] * (256 * 3 - 6))
    image.paste(1, (w // 2, 0, w, h))
    return _save(image, "PNG", transparency=0)


def la_png(w: int = 64, h: int = 64) -> bytes:
    """Greyscale with alpha: mid-grey at half opacity."""
    return _save(Image.new("LA", (w, h), (128, 128)), "PNG")


# --- refused ----------------------------------------------------------------------------------


def empty() -> bytes:
    """Zero bytes."""
    return b""


def non_image() -> bytes:
    """Plain text that happens to be uploaded under an image name."""
    return b"This is not an image, just a text file named avatar.png.\n" * 4


def svg() -> bytes:
    """A vector image: refused, because we only accept decoded raster formats."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<circle cx="32" cy="32" r="30" fill="red"/></svg>\n'
    )


def pdf() -> bytes:
    """The first bytes of a PDF document."""
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def bmp(w: int = 32, h: int = 32) -> bytes:
    """A valid BMP: Pillow could decode it, but it is not one of the accepted formats."""
    return _save(Image.new("RGB", (w, h), (10, 20, 30)), "BMP")


def tiff(w: int = 32, h: int = 32) -> bytes:
    """A valid TIFF, refused for the same reason as BMP."""
    return _save(Image.new("RGB", (w, h), (10, 20, 30)), "TIFF")


def truncated_png() -> bytes:
    """A noise PNG cut off in the middle of its pixel data: the header parses, load() fails."""
    data = noise_png()
    return data[: len(data) * 6 // 10]


def truncated_jpeg() -> bytes:
    """A JPEG cut off in the middle of its scan data."""
    pixels = random.Random(3).randbytes(128 * 128 * 3)
    data = _save(Image.frombytes("RGB", (128, 128), pixels), "JPEG", quality=90)
    return data[: len(data) // 2]


def oversized(size: int = 12 * 1024 * 1024) -> bytes:
    """A genuinely valid PNG over 10 MB: a tiny image padded with a private ancillary chunk.

    Decoders skip the chunk, so the byte cap is the only reason to refuse it.
    """
    base = png(8, 8)
    iend = base.rindex(b"IEND") - 4
    padding = size - len(base) - 12
    return base[:iend] + _png_chunk(b"prVt", bytes(max(padding, 0))) + base[iend:]


@functools.cache
def decompression_bomb(side: int = BOMB_SIDE) -> bytes:
    """A ``side``×``side`` 1-bit greyscale PNG that is tiny on disk (~50 KB for 20000²).

    Written by hand so that building it never allocates the image: the raw scanlines (all
    zero) are streamed through zlib a block at a time. Cached: bytes are immutable.
    """
    row = bytes(1 + (side + 7) // 8)  # filter byte 0 + packed 1-bit pixels
    rows_per_block = 1000
    block = row * rows_per_block
    compressor = zlib.compressobj(9)
    parts: list[bytes] = []
    remaining = side
    while remaining:
        step = min(rows_per_block, remaining)
        parts.append(compressor.compress(block if step == rows_per_block else row * step))
        remaining -= step
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def webp_bomb(width: int = 10_000, height: int = 10_000) -> bytes:
    """An extended-WebP header declaring a huge canvas, followed by nothing useful.

    100 MP is below Pillow's own hard limit (~179 MP), yet libwebp would allocate the whole
    canvas as soon as its decoder is created; only a header check stops it.
    """
    vp8x = (
        b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    return b"RIFF" + struct.pack("<I", len(body)) + body


def gif_frame_bomb(side: int = BOMB_SIDE) -> bytes:
    """A 1×1 GIF whose first frame claims to be ``side``×``side``.

    Pillow grows the canvas to the frame while parsing the header and runs its own
    decompression-bomb check there; that error must still come out as our own refusal.
    """
    header = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    descriptor = b"," + struct.pack("<HHHHB", 0, 0, side, side, 0)
    image_data = b"\x02\x02\x44\x01\x00"  # LZW min code size 2, one tiny sub-block, end
    return header + descriptor + image_data + b";"
