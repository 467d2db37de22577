"""What an agent's tile shows: its face or initials, its ring colour, its run summary.

Pure decisions, no HTML: the UI package draws them; tests read them directly.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

from ..foundation.models import Agent

__all__ = [
    "RING_AGENT",
    "RING_SYSTEM",
    "TileAgent",
    "agent_label",
    "initials",
    "initials_color",
    "ring_color",
    "run_summary",
]

RING_AGENT = "#6366f1"  # indigo
RING_SYSTEM = "#a855f7"  # purple

# Mid-dark tones: white initials pass WCAG AA on each, and each stands out on white and on slate.
# Red is left out on purpose: it means "error" on this page.
_INITIALS_PALETTE: tuple[str, ...] = (
    "#4f46e5", "#7c3aed", "#be185d", "#c2410c", "#a16207",
    "#15803d", "#0f766e", "#0369a1", "#1d4ed8", "#475569",
)


@dataclass(frozen=True)
class TileAgent:
    """What a row's tile needs to know about an agent; ``avatar_url`` None draws initials."""

    name: str
    display_name: str
    is_system: bool = False
    avatar_url: str | None = None
    type: str = "other"

    @classmethod
    def from_agent(cls, agent: Agent, avatar_url: str | None = None) -> TileAgent:
        return cls(agent.name, agent.display_name, agent.is_system, avatar_url, agent.type)


def ring_color(is_system: bool) -> str:
    """Indigo for agents, purple for system agents: both readable on white and on slate."""
    return RING_SYSTEM if is_system else RING_AGENT


def initials(display_name: str) -> str:
    """Two letters for an avatar without an image: "Ledger Bot" → "LB", "Copysmith" → "CO"."""
    words = re.findall(r"[^\W_]+", display_name)
    if not words:
        return "?"
    if len(words) == 1:
        return str(words[0][:2]).upper()
    return str(words[0][0] + words[1][0]).upper()


def initials_color(name: str) -> str:
    """A stable background colour for an initials disc, chosen by sha256 of the agent name."""
    index = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")
    return _INITIALS_PALETTE[index % len(_INITIALS_PALETTE)]


def run_summary(count: int, success_rate: float | None) -> str:
    """"97% ok · 31 runs" for a tile; the rate is floored so one failure never reads 100 %."""
    if not count:
        return "no runs in window"
    runs = f"{count} run{'s' if count != 1 else ''}"
    if success_rate is None:
        return runs
    percent = 100 if success_rate >= 1 else math.floor(success_rate * 100)
    return f"{percent}% ok · {runs}"


def agent_label(agent: Agent) -> str:
    """How pickers name an agent: "Ledger Bot (ledger-bot)"."""
    return f"{agent.display_name} ({agent.name})"
