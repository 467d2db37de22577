"""Prompt template: wraps an identity prompt in a fixed technical block (versioned)."""

from __future__ import annotations

from .models import Emotion

__all__ = ["TEMPLATE_VERSION", "emotion_prompt", "identity_prompt_text", "variation_prompt"]

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
