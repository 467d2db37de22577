"""Render the built-in renderer's contact sheets into docs/.

* ``docs/contact-sheet.png`` (default): twelve built-in robots × neutral + the eight emotions.
* ``docs/contact-sheet-prompts.png`` (``--prompts``): identity prompts → faces, each cell
  captioned with its prompt and shown again at 48 px, covering every material and accessory
  word the renderer understands.

Why: the built-in renderer is judged by eye. One sheet shows at a glance whether agents are
distinct, whether the emotions read at avatar size, and how the faces sit in the circular
crop with the indigo ring the dashboard uses; the other whether a demo audience sees the
words they typed.

Usage: ``python scripts/contact_sheet.py [--prompts]``
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Sequence
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
# (agent name, identity prompt): every material and accessory word at least once, with colours
PROMPTS: tuple[tuple[str, str], ...] = (
    ("chrome-scout", "polished chrome robot with a visor"),
    ("brass-baron", "steampunk brass robot with a monocle and a top hat"),
    ("copper-call", "copper robot with headphones"),
    ("oak-reader", "wooden robot with round spectacles"),
    ("porcelain-host", "white porcelain android with a blue bow tie"),
    ("night-ops", "matte black with glowing teal circuit traces"),
    ("gold-winter", "gold robot with a red scarf"),
    ("guardian", "navy robot with a shield emblem"),
    ("exec-assistant", "chrome and navy executive android"),
    ("signal", "friendly robot with a tall antenna"),
    ("gentle-green", "green robot wearing a top hat"),
    ("tea-set", "porcelain robot with gold spectacles"),
    ("walnut-desk", "walnut wood robot with a headset"),
    ("red-racer", "matte red robot with a visor"),
    ("penny", "copper robot with a bow tie and a monocle"),
    ("sovereign", "golden robot with a shield emblem and an antenna"),
    ("cosy", "purple robot with a knitted teal scarf"),
    ("tinker", "brass robot with goggles"),
    ("gala", "chrome robot in a top hat and bow tie"),
    ("helpdesk", "teal porcelain robot with headphones"),
)
CELL, PAD, LABEL_W, HEADER_H = 132, 14, 226, 46
BACKGROUND, RING, TEXT, MUTED = (11, 15, 26), (99, 102, 241), (226, 232, 240), (148, 163, 184)
OUTPUT = ROOT / "docs" / "contact-sheet.png"
PROMPTS_OUTPUT = ROOT / "docs" / "contact-sheet-prompts.png"
PROMPT_CELL, SMALL_CELL, PROMPT_COLUMNS, CAPTION_H = 176, 48, 5, 64


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


def _render(provider: BuiltinProvider, name: str, prompt: str, emotion: Emotion | None,
            timings: list[float]) -> Image.Image:
    seed = seed_for("contact-sheet", name)
    request = ImageRequest(kind="emotion" if emotion else "identity", agent_name=name,
                           identity_prompt=prompt, prompt=prompt, seed=seed, emotion=emotion)
    start = time.perf_counter()
    data = provider.generate(request).data
    timings.append(time.perf_counter() - start)
    return Image.open(io.BytesIO(data)).convert("RGB")


def _report(output: Path, timings: list[float]) -> None:
    timings.sort()
    print(f"wrote {output.relative_to(ROOT)}: {len(timings)} avatars, "
          f"median {timings[len(timings) // 2] * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms")


def emotions_sheet() -> None:
    """Twelve agents in rows, neutral and the eight emotions in columns."""
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
        for col, emotion in enumerate(columns):
            tile = _circle(_render(provider, name, prompt, emotion, timings), CELL)
            sheet.paste(tile, (LABEL_W + col * (CELL + PAD), y), tile)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(OUTPUT, optimize=True)
    _report(OUTPUT, timings)


def prompts_sheet() -> None:
    """One cell per prompt: the face large, again at 48 px, and the prompt as its caption."""
    provider = BuiltinProvider()
    rows = -(-len(PROMPTS) // PROMPT_COLUMNS)
    cell_w, cell_h = PROMPT_CELL + SMALL_CELL + 3 * PAD, PROMPT_CELL + CAPTION_H + PAD
    sheet = Image.new("RGB", (PROMPT_COLUMNS * cell_w + PAD, rows * cell_h + HEADER_H + PAD),
                      BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    title, caption, tiny = _font(17), _font(13), _font(11)
    draw.text((PAD + 4, HEADER_H // 2 + 2), "Built-in renderer: identity prompt → face "
              "(large, and at 48 px)", font=title, fill=TEXT, anchor="lm")
    timings: list[float] = []
    for index, (name, prompt) in enumerate(PROMPTS):
        x = PAD + (index % PROMPT_COLUMNS) * cell_w
        y = HEADER_H + (index // PROMPT_COLUMNS) * cell_h
        avatar = _render(provider, name, prompt, None, timings)
        big, small = _circle(avatar, PROMPT_CELL), _circle(avatar, SMALL_CELL)
        sheet.paste(big, (x, y), big)
        sheet.paste(small, (x + PROMPT_CELL + PAD, y + PROMPT_CELL - SMALL_CELL), small)
        draw.text((x + PROMPT_CELL + PAD + SMALL_CELL // 2, y + PROMPT_CELL - SMALL_CELL - 10),
                  "48 px", font=tiny, fill=MUTED, anchor="mm")
        for i, line in enumerate(_wrap(f"\u201c{prompt}\u201d", caption,
                                       cell_w - 2 * PAD)[:3]):
            draw.text((x + 2, y + PROMPT_CELL + 8 + i * 17), line, font=caption,
                      fill=TEXT if i == 0 else MUTED, anchor="lt")
    PROMPTS_OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(PROMPTS_OUTPUT, optimize=True)
    _report(PROMPTS_OUTPUT, timings)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--prompts", action="store_true",
                        help=f"write {PROMPTS_OUTPUT.relative_to(ROOT)} instead of "
                             f"{OUTPUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.prompts:
        prompts_sheet()
    else:
        emotions_sheet()


if __name__ == "__main__":
    main()
