"""Prompts for default avatars: the agent's own seed prompt, its description, or a style by type."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..foundation.limits import PROMPT_MAX_CHARS
from ..foundation.models import Agent
from ..foundation.prompts import TEMPLATE_VERSION

__all__ = [
    "OTHER_STYLES",
    "TYPE_STYLES",
    "DefaultTarget",
    "default_fingerprint",
    "default_prompt",
    "default_target",
]

TYPE_STYLES: dict[str, str] = {
    "business-assistant": "a chrome and navy executive android with a calm, professional look",
    "code-assistant": "a robot in matte black with glowing teal circuit traces",
    "research-assistant": "a brushed silver robot with amber eyes and spectacle frames",
    "creative-assistant": "an iridescent holographic purple-pink android",
    "data-analyst": "a gunmetal robot with grid lines and green eyes",
}

OTHER_STYLES: tuple[str, ...] = (
    "a friendly copper robot with round blue eyes",
    "a sleek white android with soft orange accents",
    "a retro tin robot with red antenna and rivets",
    "a jade green android with gold trim",
    "a cobalt blue robot with a visor and yellow lights",
    "a pearl android with rose gold details",
    "a graphite robot with lime status lights",
    "a sky blue robot with cloud-white panels",
    "a bronze steampunk robot with brass goggles",
    "a crimson android with a chrome faceplate",
    "a mint and charcoal robot with headphone ears",
    "a violet robot with a glowing cyan smile",
)


def default_prompt(name: str, display_name: str, description: str, avatar_prompt: str | None,
                   agent_type: str) -> str:
    """The identity prompt a default avatar is made from; deterministic across restarts."""
    if avatar_prompt and avatar_prompt.strip():
        return avatar_prompt.strip()[:PROMPT_MAX_CHARS]
    if description and description.strip():
        return f"{display_name.strip() or name}: {description.strip()}"[:PROMPT_MAX_CHARS]
    if agent_type in TYPE_STYLES:
        return f"{display_name.strip() or name}, {TYPE_STYLES[agent_type]}"[:PROMPT_MAX_CHARS]
    index = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % len(OTHER_STYLES)
    return f"{display_name.strip() or name}, {OTHER_STYLES[index]}"[:PROMPT_MAX_CHARS]


def default_fingerprint(prompt: str, provider: str, model: str) -> str:
    """What a default avatar was made from; a different fingerprint means the default is stale."""
    material = "\x1f".join((prompt, TEMPLATE_VERSION, provider, model))
    return hashlib.sha256(material.encode()).hexdigest()


@dataclass(frozen=True)
class DefaultTarget:
    """What an agent's default avatar should be made from, and its fingerprint."""

    prompt: str
    fingerprint: str


def default_target(agent: Agent, provider: str, model: str,
                   stored_fingerprint: str | None) -> DefaultTarget | None:
    """The default to make for ``agent``, or None when its avatar must be left as it is.

    Custom avatars are never touched; a default made from the same prompt, template and
    provider/model (``stored_fingerprint``) is up to date; anything else gets a new default.
    """
    prompt = default_prompt(agent.name, agent.display_name, agent.description,
                            agent.avatar_prompt, agent.type)
    target = DefaultTarget(prompt, default_fingerprint(prompt, provider, model))
    if agent.current_version_id is None:
        return target
    if not agent.is_default_avatar or stored_fingerprint == target.fingerprint:
        return None
    return target
