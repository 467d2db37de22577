"""Prompts: the rules an identity prompt must follow, and the versioned template around it."""

from __future__ import annotations

from .errors import InvalidInput
from .limits import PROMPT_MAX_CHARS
from .models import Emotion

__all__ = [
    "TEMPLATE_VERSION",
    "emotion_prompt",
    "identity_prompt_text",
    "validate_prompt",
    "variation_prompt",
]

# Bump when the wording changes: it is part of every emotion variant's cache key.
TEMPLATE_VERSION = "v1"

_TECHNICAL = (
    "Portrait avatar, head and shoulders, centred, front-facing, square 1:1, subject fills the "
    "middle so it is safe for a circular crop; dark slate background with a soft indigo rim "
    "light; clean, friendly, high detail; no text, no letters, no watermark, no border."
)

_EMOTION_WORDS = {
    Emotion.HAPPY: "a warm, happy smile",
    Emotion.THOUGHTFUL: "a thoughtful look, eyes slightly raised as if considering an idea",
    Emotion.SURPRISED: "a surprised expression, wide eyes and open mouth",
    Emotion.DETERMINED: "a determined expression, focused eyes and a firm mouth",
    Emotion.CALM: "a calm, serene expression with relaxed eyes",
    Emotion.AMUSED: "an amused, playful grin",
    Emotion.CURIOUS: "a curious expression, head slightly tilted, one brow raised",
    Emotion.CONFIDENT: "a confident, self-assured half smile",
}


def validate_prompt(prompt: str | None) -> str:
    """1–500 characters after stripping; no control characters but newline and tab."""
    text = (prompt or "").strip()
    if not text:
        raise InvalidInput(
            f"The identity prompt is empty: describe the avatar in 1-{PROMPT_MAX_CHARS} characters")
    if len(text) > PROMPT_MAX_CHARS:
        raise InvalidInput(
            f"The identity prompt is {len(text)} characters; the limit is {PROMPT_MAX_CHARS}")
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise InvalidInput("The identity prompt contains control characters")
    return text


def identity_prompt_text(identity: str) -> str:
    """The full prompt for a new avatar."""
    return f"{identity.strip()}\n\n{_TECHNICAL}"


def variation_prompt(identity: str) -> str:
    """A fresh variation of the reference image that keeps the character recognisable."""
    return (
        f"Create a fresh variation of the character in the reference image: {identity.strip()}. "
        f"Keep the identity and palette, vary pose and details.\n\n{_TECHNICAL}"
    )


def emotion_prompt(identity: str, emotion: Emotion) -> str:
    """The same character as the reference image, showing one emotion."""
    return (
        f"The exact same character as in the reference image ({identity.strip()}), "
        f"now with {_EMOTION_WORDS[Emotion(emotion)]}. Keep everything else identical.\n\n"
        f"{_TECHNICAL}"
    )
