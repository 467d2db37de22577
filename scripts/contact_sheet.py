"""Render docs/contact-sheet.png: twelve built-in robots × neutral + the eight emotions.

Why: the built-in renderer is judged by eye. One sheet shows at a glance whether agents are
distinct, whether the emotions read at avatar size, and how the faces sit in the circular
crop with the indigo ring the dashboard uses.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from avatar_core.foundation.keys import seed_for  # noqa: E402
from avatar_core.foundation.models import Emotion  # noqa: E402
from avatar_core.providers.base import ImageRequest  # noqa: E402
from avatar_core.providers.builtin import BuiltinProvider  # noqa: E402

AGENTS: tuple[tuple[str, str], ...] = (
    ("atlas", "a friendly general-purpose assistant robot"),
    ("nova-research", "research assistant android"),
    ("pixel-studio", "creative assistant robot"),
    ("ledger-bot", "data analyst robot"),
    ("exec-assistant", "chrome and navy executive android"),
    ("night-ops", "matte black with glowing teal circuit traces"),
    ("professor-byte", "brushed silver with amber eyes and spectacle frames"),
    ("prism", "iridescent holographic purple-pink"),
    ("gridlock", "gunmetal with grid lines and green eyes"),
    ("scout", "code assistant robot"),
    ("harbor-support", "customer support android"),
    ("sage", "calm mentor robot"),
)
CELL, PAD, LABEL_W, HEADER_H = 132, 14, 226, 46
BACKGROUND, RING, TEXT, MUTED = (11, 15, 26), (99, 102, 241), (226, 232, 240), (148, 163, 184)
OUTPUT = ROOT / "docs" / "contact-sheet.png"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _circle(avatar: Image.Image, size: int) -> Image.Image:
    """The avatar in a circular crop with a 3 px indigo ring, as the dashboard shows it."""
    scale = 4
    big = size * scale
    mask = Image.new("L", (big, big))
    ImageDraw.Draw(mask).ellipse((0, 0, big - 1, big - 1), fill=255)
    tile = Image.new("RGBA", (big, big), (*RING, 255))
    inner = big - 2 * 3 * scale
    face = avatar.resize((inner, inner), Image.Resampling.LANCZOS)
    face_mask = Image.new("L", (inner, inner))
    ImageDraw.Draw(face_mask).ellipse((0, 0, inner - 1, inner - 1), fill=255)
    tile.paste(face, (3 * scale, 3 * scale), face_mask)
    tile.putalpha(mask)
    return tile.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    provider = BuiltinProvider()
    columns: list[Emotion | None] = [None, *Emotion]
    width = LABEL_W + len(columns) * (CELL + PAD) + PAD
    height = HEADER_H + len(AGENTS) * (CELL + PAD) + PAD
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    label, small = _font(17), _font(13)
    for col, emotion in enumerate(columns):
        x = LABEL_W + col * (CELL + PAD) + CELL // 2
        draw.text((x, HEADER_H // 2 + 4), emotion.value if emotion else "neutral", font=label,
                  fill=TEXT if emotion else MUTED, anchor="mm")
    timings: list[float] = []
    for row, (name, prompt) in enumerate(AGENTS):
        y = HEADER_H + row * (CELL + PAD)
        draw.text((PAD + 4, y + CELL // 2 - 10), name, font=label, fill=TEXT, anchor="lm")
        for i, line in enumerate(_wrap(prompt, small, LABEL_W - 2 * PAD)[:2]):
            draw.text((PAD + 4, y + CELL // 2 + 14 + i * 17), line, font=small, fill=MUTED,
                      anchor="lm")
        seed = seed_for("contact-sheet", name)
        for col, emotion in enumerate(columns):
            request = ImageRequest(kind="emotion" if emotion else "identity", agent_name=name,
                                   identity_prompt=prompt, prompt=prompt, seed=seed,
                                   emotion=emotion)
            start = time.perf_counter()
            data = provider.generate(request).data
            timings.append(time.perf_counter() - start)
            avatar = Image.open(io.BytesIO(data)).convert("RGB")
            tile = _circle(avatar, CELL)
            sheet.paste(tile, (LABEL_W + col * (CELL + PAD), y), tile)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(OUTPUT, optimize=True)
    timings.sort()
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(timings)} avatars, "
          f"median {timings[len(timings) // 2] * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
