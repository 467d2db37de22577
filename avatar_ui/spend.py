"""How costs are told to a person: the price line before the button, spend by kind of call.

Decisions for the Settings page, kept here so the page stays layout and these stay tested.
"""

from __future__ import annotations

from avatar_core import DefaultsPlan, ProviderName, Spend

__all__ = ["CONFIRM_ABOVE_USD", "cost_text", "needs_confirmation", "spend_rows"]

CONFIRM_ABOVE_USD = 1.0
"""A run estimated above this asks "Go ahead?" first."""

_KIND_LABELS = {"avatar": "avatars", "emotion": "emotions", "default": "defaults",
                "refine": "prompt refinement"}


def cost_text(plan: DefaultsPlan) -> str:
    """"about $3.51 at the list price of gemini-3.1-flash-image ($0.067 an image)" (text)."""
    if plan.provider == ProviderName.BUILTIN:
        return "free: the built-in renderer draws them"
    price = f"${plan.price_per_image_usd:.3f} an image"
    known = "" if plan.price_known else " (an unknown model: priced like the dearest one)"
    return f"about ${plan.estimated_usd:,.2f} at the price of {plan.model} ({price}){known}"


def needs_confirmation(plan: DefaultsPlan) -> bool:
    return plan.estimated_usd > CONFIRM_ABOVE_USD


def spend_rows(spend: Spend) -> list[dict[str, str]]:
    """One row per kind of call: spend today and over 30 days, in dollars."""
    return [{"kind": _KIND_LABELS.get(kind, kind), "today": f"${spend.today[kind]:,.2f}",
             "last 30 days": f"${spend.last_30_days.get(kind, 0.0):,.2f}"}
            for kind in spend.today]
