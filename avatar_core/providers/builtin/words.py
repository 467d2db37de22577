"""Read an identity prompt into what the built-in renderer can draw: materials, accessories,
colours, patterns.

Why a vocabulary instead of "contains": in a demo people type a prompt and expect to see it,
and they expect *their* words, not parts of other words ("glassware" is not glasses, "suitable"
not a suit). So the prompt is split into lower-case ASCII words, multi-word phrases ("top hat",
"bow tie") are matched longest first, and each table below says which words mean what.
Everything here is a pure function of the text: the same prompt always reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .canvas import RGB

__all__ = ["ACCESSORY_WORDS", "COLOURS", "IMPLIED", "MATERIAL_WORDS", "Wording", "read_words",
           "tokens"]

COLOURS: dict[str, RGB] = {
    "chrome": (184, 194, 212), "silver": (170, 178, 192), "white": (226, 232, 240),
    "gray": (120, 130, 148), "grey": (120, 130, 148), "gunmetal": (76, 86, 104),
    "black": (46, 50, 62), "navy": (37, 62, 130), "blue": (59, 130, 246), "sky": (56, 189, 248),
    "cyan": (34, 200, 230), "teal": (20, 184, 166), "mint": (110, 231, 183),
    "green": (34, 197, 94), "lime": (132, 204, 22), "yellow": (250, 204, 21),
    "gold": (218, 170, 52), "amber": (245, 158, 11), "orange": (249, 115, 22),
    "copper": (196, 110, 60), "bronze": (176, 120, 60), "red": (239, 68, 68),
    "crimson": (200, 30, 60), "pink": (236, 72, 153), "magenta": (217, 70, 239),
    "purple": (147, 80, 230), "violet": (139, 92, 246), "indigo": (99, 102, 241),
    "lavender": (167, 139, 250), "brown": (146, 96, 58),
}

# accessory → the words and phrases that ask for it (plurals and common synonyms included)
ACCESSORY_WORDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "spectacles": ("spectacles", "spectacle", "glasses", "eyeglasses", "specs", "bifocals",
                   "eye glasses", "reading glasses"),
    "monocle": ("monocle", "monocles", "monocled"),
    "visor": ("visor", "visors", "goggles", "sunglasses"),
    "headset": ("headset", "headsets", "headphones", "headphone", "earphones", "earmuffs",
                "ear muffs", "head set"),
    "antenna": ("antenna", "antennas", "antennae", "aerial", "aerials"),
    "bow_tie": ("bow tie", "bow ties", "bowtie", "bowties", "dickie bow"),
    "hat": ("hat", "hats", "top hat", "top hats", "tophat", "topper", "bowler", "fedora"),
    "scarf": ("scarf", "scarves", "scarfs", "muffler", "neckerchief"),
    "shield": ("shield", "shields", "emblem", "emblems", "crest", "insignia", "shield emblem",
               "coat of arms"),
    "tie": ("tie", "ties", "necktie", "neckties"),
})
# words that imply an accessory without naming it; a colour before them is not its colour
# ("navy executive android" is a navy robot in a tie, not a robot in a navy tie)
IMPLIED: Mapping[str, str] = MappingProxyType({
    "executive": "tie", "business": "tie", "suit": "tie", "suited": "tie", "businesslike": "tie",
})
# word → material; "black" stays a colour, so "matte black" is the matte finish in black
MATERIAL_WORDS: Mapping[str, str] = MappingProxyType({
    "chrome": "chrome", "chromed": "chrome", "chromium": "chrome", "mirrored": "chrome",
    "brass": "brass", "brassy": "brass", "steampunk": "brass",
    "copper": "copper", "coppery": "copper",
    "wood": "wood", "wooden": "wood", "timber": "wood", "oak": "wood", "walnut": "wood",
    "porcelain": "porcelain", "ceramic": "porcelain", "glazed": "porcelain",
    "matte": "matte", "matt": "matte",
    "gold": "gold", "golden": "gold", "gilded": "gold", "gilt": "gold",
})
# colours of the materials that are not colour words themselves ("a golden robot" is gold)
MATERIAL_COLOURS: Mapping[str, RGB] = MappingProxyType({
    "golden": COLOURS["gold"], "gilded": COLOURS["gold"], "gilt": COLOURS["gold"],
    "brass": (176, 150, 84), "brassy": (176, 150, 84), "coppery": COLOURS["copper"],
    "chromed": COLOURS["chrome"], "chromium": COLOURS["chrome"], "mirrored": COLOURS["chrome"],
    "oak": (184, 134, 80), "walnut": (112, 74, 48),
})
GLOW_NOUNS = frozenset({"eye", "eyes", "glow", "light", "lights", "trace", "traces", "led", "leds",
                        "accent", "accents", "visor", "screen", "circuit", "circuits"})
GLOW_ADJECTIVES = frozenset({"glowing", "neon", "lit", "luminous"})
BREAKS = frozenset({"with", "and", "or"})
PATTERNS: Mapping[str, str] = MappingProxyType({
    "circuit": "circuit", "circuits": "circuit", "circuitry": "circuit",
    "grid": "grid", "grids": "grid", "gridded": "grid",
})
_PHRASES: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): accessory
    for accessory, phrases in ACCESSORY_WORDS.items() for phrase in phrases
}
_LONGEST = max(len(p) for p in _PHRASES)


def tokens(text: str) -> list[str]:
    """Lower-case ASCII words: 'Bow-Tie' → ['bow', 'tie']."""
    return re.findall(r"[a-z]+", text.lower())


@dataclass(frozen=True)
class Wording:
    """What one identity prompt asked for, in the order it asked."""

    accessories: tuple[str, ...] = ()
    material: str | None = None
    body_colours: tuple[RGB, ...] = ()
    glow: RGB | None = None
    tints: tuple[tuple[str, RGB], ...] = ()  # (accessory, colour) from "red scarf", "gold monocle"
    pattern: str | None = None
    two_tone: bool = False


def _phrase_at(words: list[str], i: int) -> tuple[str, int] | None:
    """The accessory whose phrase starts at ``words[i]``, longest match first, and its length."""
    for size in range(min(_LONGEST, len(words) - i), 0, -1):
        accessory = _PHRASES.get(tuple(words[i:i + size]))
        if accessory:
            return accessory, size
    return None


def _is_glow(words: list[str], i: int) -> bool:
    """'glowing teal', 'amber eyes', 'teal circuit traces' light up; 'black with …' does not."""
    if i > 0 and words[i - 1] in GLOW_ADJECTIVES:
        return True
    for word in words[i + 1:i + 4]:
        if word in COLOURS or word in BREAKS:
            return False
        if word in GLOW_NOUNS:
            return True
    return False


def _worn_by(words: list[str], i: int) -> str | None:
    """The accessory a colour or material word describes: 'red scarf', 'gold rimmed monocle'."""
    for j in range(i + 1, min(i + 3, len(words))):
        if words[j] in BREAKS or words[j] in COLOURS or words[j] in MATERIAL_WORDS:
            return None
        found = _phrase_at(words, j)
        if found:
            return found[0]
    return None


def _colour_of(word: str) -> RGB | None:
    return COLOURS.get(word) or MATERIAL_COLOURS.get(word)


def read_words(text: str) -> Wording:
    """Read ``text`` once, left to right; the first material named wins."""
    words = tokens(text)
    accessories: list[str] = []
    implied: list[str] = []  # after every named one: "executive robot in a bow tie" wears a bow
    tints: list[tuple[str, RGB]] = []
    bodies: list[RGB] = []
    material: str | None = None
    glow: RGB | None = None
    named = {PATTERNS[w] for w in words if w in PATTERNS}
    pattern = "circuit" if "circuit" in named else "grid" if named else None
    i = 0
    while i < len(words):
        found = _phrase_at(words, i)
        if found:
            if found[0] not in accessories:
                accessories.append(found[0])
            i += found[1]
            continue
        word, colour = words[i], _colour_of(words[i])
        if word in IMPLIED:
            implied.append(IMPLIED[word])
        glowing = colour is not None and _is_glow(words, i)
        worn = None if glowing else _worn_by(words, i)
        if colour is not None and glowing:
            glow = colour
        elif colour is not None and worn:
            tints.append((worn, colour))
        elif colour is not None:
            bodies.append(colour)
        if word in MATERIAL_WORDS and not glowing and not worn and material is None:
            material = MATERIAL_WORDS[word]
        i += 1
    accessories += [a for a in dict.fromkeys(implied) if a not in accessories]
    return Wording(accessories=tuple(accessories), material=material, body_colours=tuple(bodies),
                   glow=glow, tints=tuple(tints), pattern=pattern,
                   two_tone=len(bodies) > 1 and bool({"holographic", "iridescent"} & set(words)))
