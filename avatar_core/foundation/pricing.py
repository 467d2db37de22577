"""What a provider call costs: list prices of the Gemini image models we know, per image.

Prices are the published list prices per generated 1:1 image at the default (1K) resolution;
the Batch API bills half. ``AVATARS_PRICE_PER_IMAGE_USD`` overrides the table (another model, a
negotiated price). The built-in renderer costs nothing. A refinement is one short text call.
A model the table does not know is never free: it is priced like the dearest known one, and the
price says it is a guess (``known=False``; the dry run answers ``price_known: false``).

The table, as of ``PRICES_AS_OF`` (source ``PRICE_SOURCE``, Google's Gemini API pricing page,
paid tier, image output tokens; a 1K image is 1120 output tokens):

- ``gemini-3.1-flash-image``: $60 per million image tokens → $0.067 an image;
- ``gemini-3-pro-image``: $120 per million image tokens → $0.134 an image (1K and 2K).

Model names and dates: https://ai.google.dev/gemini-api/docs/deprecations (read 2026-12-04):
both image models GA since 2026-05-28 with no shutdown date announced; their ``-preview``
names were shut down on 2026-06-25, ``gemini-2.5-flash-image`` on 2026-10-02.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .models import ProviderName

__all__ = [
    "BATCH_DISCOUNT",
    "KNOWN_IMAGE_PRICES_USD",
    "PRICES_AS_OF",
    "PRICE_SOURCE",
    "REFINE_PRICE_USD",
    "CallKind",
    "Price",
    "image_price",
]

PRICES_AS_OF = "2026-12-04"
PRICE_SOURCE = "https://ai.google.dev/gemini-api/docs/pricing"
KNOWN_IMAGE_PRICES_USD: dict[str, float] = {
    "gemini-3.1-flash-image": 0.067,
    "gemini-3-pro-image": 0.134,
}
"""USD per output image at 1K, as of PRICES_AS_OF (see the module docstring for the source)."""

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
    if provider == ProviderName.BUILTIN:
        return Price(0.0, True)
    factor = BATCH_DISCOUNT if batch else 1.0
    if override is not None:
        return Price(override * factor, True)
    listed = KNOWN_IMAGE_PRICES_USD.get(model)
    if listed is not None:
        return Price(listed * factor, True)
    return Price(max(KNOWN_IMAGE_PRICES_USD.values()) * factor, False)
