"""What a provider call costs: list prices of the Gemini image models we know, per image.

Prices are the published list prices per generated 1:1 image at the default (1K) resolution;
the Batch API bills half. ``AVATARS_PRICE_PER_IMAGE_USD`` overrides the table (another model, a
negotiated price). The built-in renderer costs nothing. A refinement is one short text call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BATCH_DISCOUNT",
    "KNOWN_IMAGE_PRICES_USD",
    "REFINE_PRICE_USD",
    "CallKind",
    "Price",
    "image_price",
]

KNOWN_IMAGE_PRICES_USD: dict[str, float] = {
    "gemini-2.5-flash-image": 0.039,
    "gemini-2.5-flash-image-preview": 0.039,
    "gemini-2.0-flash-preview-image-generation": 0.039,
    "gemini-3-pro-image-preview": 0.134,
}
"""USD per output image (1290 output tokens at $30 per million for the 2.5 flash image model)."""

BATCH_DISCOUNT = 0.5
REFINE_PRICE_USD = 0.001
"""A refinement: a few hundred tokens in and out of the flash text model, rounded up."""


class CallKind(StrEnum):
    """What a provider call was for, as spend is reported by."""

    AVATAR = "avatar"  # generate, regenerate (a person waiting)
    EMOTION = "emotion"
    DEFAULT = "default"  # bulk default avatars
    REFINE = "refine"


@dataclass(frozen=True)
class Price:
    """The price of one image; ``known`` is False when it is a conservative guess."""

    usd: float
    known: bool


def image_price(provider: str, model: str, override: float | None, *,
                batch: bool = False) -> Price:
    """The price of one image from ``provider``/``model``.

    An unknown Gemini model is priced like the dearest known one, so a budget errs on the safe
    side; ``known`` says so.
    """
    if provider == "builtin":
        return Price(0.0, True)
    factor = BATCH_DISCOUNT if batch else 1.0
    if override is not None:
        return Price(override * factor, True)
    listed = KNOWN_IMAGE_PRICES_USD.get(model)
    if listed is not None:
        return Price(listed * factor, True)
    return Price(max(KNOWN_IMAGE_PRICES_USD.values()) * factor, False)
