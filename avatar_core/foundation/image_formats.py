"""What an image's bytes say before any decoder sees them: its type, its declared size, and the
name of a format we recognise only to refuse it clearly.

Nothing here trusts a file name or a content type: only the magic bytes count.
"""

from __future__ import annotations

import struct

__all__ = [
    "ACCEPTED_MIME_TYPES",
    "ACCEPTED_NAMES",
    "sniff_mime",
    "unaccepted_message",
    "webp_canvas_size",
]

ACCEPTED_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
ACCEPTED_NAMES = "PNG, JPEG, WebP or GIF"

# Other image formats we recognise only to say "that format is not accepted" instead of
# "not an image"; we never hand them to a decoder.
_REFUSED_FORMATS: tuple[tuple[bytes, int, str], ...] = (
    (b"BM", 0, "BMP"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"\x00\x00\x01\x00", 0, "ICO"),
    (b"8BPS", 0, "PSD"),
    (b"ftypavif", 4, "AVIF"),
    (b"ftypheic", 4, "HEIC"),
    (b"ftypheix", 4, "HEIC"),
    (b"ftypmif1", 4, "HEIF"),
    (b"\xff\x0a", 0, "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", 0, "JPEG XL"),
    (b"\x00\x00\x00\x0cjP  ", 0, "JPEG 2000"),
    (b"qoif", 0, "QOI"),
)

def sniff_mime(data: bytes) -> str:
    """The image type named by the magic bytes, or ``application/octet-stream``.

    Used both to pick a decoder and to label files we serve, so it never trusts anything
    but the content itself.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def webp_canvas_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size declared by a WebP header (simple lossy, lossless or extended)."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def unaccepted_message(data: bytes) -> str:
    for magic, offset, name in _REFUSED_FORMATS:
        if data[offset : offset + len(magic)] == magic:
            return f"{name} images are not accepted; upload a {ACCEPTED_NAMES} image"
    return f"The file is not a {ACCEPTED_NAMES} image"
