"""The Settings page's parts: the admin lock, then one module per tab, each drawing its tab
from the service (``app_pages/settings.py`` lays them out)."""

from __future__ import annotations

from collections.abc import Callable

from avatar_core import AvatarService

from . import agents, configuration, defaults, keys, tokens
from .lock import admin_lock

__all__ = ["TABS", "admin_lock"]

Tab = Callable[[AvatarService, bool], None]

TABS: dict[str, Tab] = {
    "AI keys": keys.show,
    "Default avatars": defaults.show,
    "Agents": agents.show,
    "API tokens": tokens.show,
    "Configuration": configuration.show,
}
"""Each tab's title and what draws it, given the service and whether admin is unlocked."""
